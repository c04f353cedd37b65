import { randomInt } from 'node:crypto';
import {
  AppError,
  type TCertificate,
  type TCertificateVerification,
  ZCertificateNumberSchema,
  ZGetCertificateInputSchema,
  ZRevokeCertificateInputSchema,
} from '@latih/contracts';
import {
  type CertificateRow,
  certificateForVerification,
  type Db,
  type EnrollmentRow,
  findCertificate,
  findCourseRow,
  findOrganisation,
  findParticipant,
  insertCertificate,
  nextCertificateStatusIndex,
  rememberCertificateKey,
  revokeCertificateRow,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
import { checkCharacter } from '../vouchers/code';
import { achievementOf, CREDENTIAL_CONTEXT as CONTEXT, issuerProfileOf } from './profiles';
import { type CredentialSigner, signCredential } from './proof';
import { statusEntryOf } from './status-list';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `LTH-2026-K7QM-3XTA-9WH4`: the year, 11 random characters (55 bits) and a check character. */
export function generateCertificateNumber(year: number): string {
  let body = '';
  for (let i = 0; i < 11; i++) body += CROCKFORD.charAt(randomInt(32));
  const chars = body + checkCharacter(`${year}${body}`);
  return `LTH-${year}-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** What someone typed → the canonical number, or undefined (the check character catches typos). */
export function normalizeCertificateNumber(input: string): string | undefined {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  if (!compact.startsWith('LTH')) return undefined;
  // Look-alikes are forgiven after the prefix (whose L is a real L).
  const s = compact.slice(3).replace(/O/g, '0').replace(/[IL]/g, '1');
  const m = /^(\d{4})([0-9A-HJKMNP-TV-Z]{12})$/.exec(s);
  if (!m?.[1] || !m[2]) return undefined;
  const [year, chars] = [m[1], m[2]];
  if (checkCharacter(`${year}${chars.slice(0, 11)}`) !== chars.charAt(11)) return undefined;
  return `LTH-${year}-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** `Siti Rahmawati` → `S*** R*********`: enough to recognise, not enough to identify. */
export function maskName(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .map((w) => (w.length <= 1 ? w : w.charAt(0) + '*'.repeat(w.length - 1)))
    .join(' ');
}

/**
 * Issues the completion certificate of an enrollment in the caller's transaction: an Open Badges 3.0
 * credential signed with the gateway's current ES256 key, whose public half is kept published.
 */
export async function issueCertificate(
  tx: Db,
  opts: {
    enrollment: EnrollmentRow;
    signer: CredentialSigner;
    actor: Actor;
    requestId: string | null;
    now: Date;
  },
): Promise<CertificateRow> {
  const e = opts.enrollment;
  const [course, provider, participant] = await Promise.all([
    findCourseRow(tx, e.courseId, { kind: 'all' }),
    findOrganisation(tx, e.providerId),
    findParticipant(tx, e.participantId),
  ]);
  if (!course || !provider || !participant) throw new AppError('INTERNAL_ERROR');
  const number = generateCertificateNumber(opts.now.getUTCFullYear());
  const base = opts.signer.baseUrl;
  const template = course.certificateTemplate;
  const issuedAt = opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Its revocation bit, in the signed credential (docs/guides/skills-passport.md).
  const statusIndex = await nextCertificateStatusIndex(tx);
  const unsigned = {
    '@context': CONTEXT,
    id: `${base}/verify/${number}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: template?.title ?? `Sertifikat Pelatihan: ${course.title}`,
    issuer: issuerProfileOf(provider, base),
    validFrom: issuedAt,
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [
        { type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: participant.name },
      ],
      achievement: { ...achievementOf(course, base), humanCode: number },
    },
    credentialStatus: statusEntryOf(base, statusIndex),
  };
  const credential = signCredential(unsigned, opts.signer, opts.now);
  await rememberCertificateKey(tx, opts.signer.kid, opts.signer.publicJwk as Record<string, string>);
  const row = await insertCertificate(tx, {
    id: newId('certificate'),
    number,
    enrollmentId: e.id,
    providerId: e.providerId,
    courseId: e.courseId,
    participantId: e.participantId,
    credential,
    kid: opts.signer.kid,
    statusIndex,
    status: 'VALID',
    issuedAt: opts.now,
  });
  await recordChange(tx, {
    actor: actorRef(opts.actor, opts.requestId),
    action: 'certificate.issued',
    entityType: 'certificate',
    entityId: row.id,
    fromState: null,
    toState: 'VALID',
    event: {
      type: 'certificate.issued',
      organisationId: e.providerId,
      data: { certificateId: row.id, number, enrollmentId: e.id, courseId: e.courseId },
    },
  });
  return row;
}

export function toCertificate(row: CertificateRow): TCertificate {
  return {
    id: row.id,
    number: row.number,
    enrollmentId: row.enrollmentId,
    courseId: row.courseId,
    status: row.status,
    issuedAt: row.issuedAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revocationReason: row.revokedReason,
    credential: row.credential,
  };
}

function numberOrRefuse(input: string): string {
  const parsed = ZCertificateNumberSchema.parse(input);
  const number = normalizeCertificateNumber(parsed);
  if (!number)
    throw new AppError('CODE_MALFORMED', {
      message: 'This is not a certificate number (LTH-YYYY-XXXX-XXXX-XXXX); check it for typos.',
      field: 'number',
    });
  return number;
}

/** The provider's own certificate, by number or enrollment; another provider's is not found. */
export async function getCertificate(opts: {
  db: Db;
  actor: Actor;
  input: z.input<typeof ZGetCertificateInputSchema>;
}): Promise<TCertificate> {
  const input = ZGetCertificateInputSchema.parse(opts.input);
  const by = input.number
    ? { number: numberOrRefuse(input.number) }
    : { enrollmentId: input.enrollmentId ?? '' };
  const row = await findCertificate(opts.db, by, { providerId: opts.actor.organisationId });
  if (!row) throw new AppError('CERTIFICATE_NOT_FOUND', { field: input.number ? 'number' : 'enrollmentId' });
  return toCertificate(row);
}

/** The issuing provider or the PMO revokes, with a reason; the verification page shows it. */
export async function revokeCertificate(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZRevokeCertificateInputSchema>;
  now?: Date;
}): Promise<TCertificate> {
  const input = ZRevokeCertificateInputSchema.parse(opts.input);
  const number = numberOrRefuse(input.number);
  const now = opts.now ?? new Date();
  if (opts.actor.role !== 'provider' && opts.actor.role !== 'pmo') throw new AppError('FORBIDDEN_ROLE');
  return opts.db.transaction(async (tx) => {
    const scope = opts.actor.role === 'provider' ? { providerId: opts.actor.organisationId } : {};
    const row = await findCertificate(tx, { number }, { ...scope, forUpdate: true });
    if (!row) throw new AppError('CERTIFICATE_NOT_FOUND', { field: 'number' });
    if (row.status === 'REVOKED') throw new AppError('CERTIFICATE_ALREADY_REVOKED', { field: 'number' });
    const revoked = await revokeCertificateRow(tx, row.id, {
      reason: input.reason,
      by: opts.actor.organisationId,
      at: now,
    });
    if (!revoked) throw new AppError('CERTIFICATE_ALREADY_REVOKED', { field: 'number' });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'certificate.revoked',
      entityType: 'certificate',
      entityId: row.id,
      fromState: 'VALID',
      toState: 'REVOKED',
      auditData: { reason: input.reason, role: opts.actor.role },
      event: {
        type: 'certificate.revoked',
        organisationId: row.providerId,
        data: { certificateId: row.id, number, enrollmentId: row.enrollmentId, reason: input.reason },
      },
    });
    return toCertificate(revoked);
  });
}

/** Anyone may verify a number: status, course, provider, date and the masked name. */
export async function verifyCertificateNumber(opts: {
  db: Db;
  number: string;
}): Promise<TCertificateVerification> {
  const number = numberOrRefuse(opts.number);
  const found = await certificateForVerification(opts.db, number);
  if (!found) throw new AppError('CERTIFICATE_NOT_FOUND', { field: 'number' });
  const c = found.certificate;
  const subject = (c.credential.credentialSubject ?? {}) as { identifier?: { identityHash?: string }[] };
  const proof = (c.credential.proof ?? {}) as { verificationMethod?: string };
  return {
    number: c.number,
    status: c.status,
    course: { id: c.courseId, title: found.courseTitle, hours: found.durationMinutes / 60 },
    provider: { id: c.providerId, name: found.providerName },
    participantName: maskName(subject.identifier?.[0]?.identityHash ?? ''),
    issuedAt: c.issuedAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
    revocationReason: c.revokedReason,
    verificationMethod: proof.verificationMethod ?? '',
  };
}
