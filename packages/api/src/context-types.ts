/*
 * The root context type, in a file of its own that imports nothing from the server: the router's
 * type (and so this file) is published in the SDK's declarations.
 */
declare const servicesBrand: unique symbol;
/** Opaque on purpose; procedures reach the real services through `servicesOf`. */
export type ServicesHandle = { readonly [servicesBrand]: true };

/** The root tRPC context: small, self-defined, transport-neutral. */
export type ApiContext = {
  requestId: string;
  /** The raw Authorization header, verified lazily by the auth middleware. */
  authorization: string | null;
  idempotencyKey: string | null;
  /** A console session cookie's token, when the request carries one (and no Authorization). */
  sessionCookie?: string | null;
  /** The X-CSRF-Token header: required with a session cookie on every mutation. */
  csrfToken?: string | null;
  setHeader: (name: string, value: string) => void;
  services: ServicesHandle;
};
