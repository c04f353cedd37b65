import { AppError, type TRole, type TScope } from '@latih/contracts';

/** Who is calling: taken from a verified access token, never from the request body. */
export type Actor = {
  organisationId: string;
  role: TRole;
  clientId: string;
  scopes: TScope[];
  /**
   * Set when a staff member (the PMO's or a provider's) acts through a console session; clientId is
   * then their staff id.
   */
  staffRole?: 'reviewer' | 'finance' | 'admin' | 'instructor';
};

/** The audit trail's view of who did something, and in which request. */
export type ActorRef = { organisationId: string | null; clientId: string | null; requestId: string | null };

export function actorRef(actor: Actor | null, requestId: string | null): ActorRef {
  return { organisationId: actor?.organisationId ?? null, clientId: actor?.clientId ?? null, requestId };
}

/** Domain functions check the caller's audience themselves too (defence in depth behind the router). */
export function requireRole(actor: Actor, role: TRole): void {
  if (actor.role !== role) throw new AppError('FORBIDDEN_ROLE');
}
export const requirePmo = (actor: Actor) => requireRole(actor, 'pmo');
export const requireProvider = (actor: Actor) => requireRole(actor, 'provider');
export const requirePlatform = (actor: Actor) => requireRole(actor, 'platform');
