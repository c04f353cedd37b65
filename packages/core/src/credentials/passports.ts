import {
  AppError,
  type TCreatePassportInput,
  type TPassport,
  type TPassportConsent,
  ZCreatePassportInputSchema,
  ZRequestPassportConsentInputSchema,
} from '@latih/contracts';
import {
  type CertificateRow,
  type Db,
  findPassportConsentForUpdate,
  insertPassportConsent,
  participantCertificates,
  participantOfSoldVoucher,
  passportCertificates,
  recentPassportConsents,
  rememberCertificateKey,
  updatePassportConsent,
} from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { RetryLaterError, secondsUntilWindowFrees, withCommittedRefusals } from '../idempotency';
import { newId } from '../ids';
import {
  generateOtp,
  hashOtp,
  OTP_MAX_ATTEMPTS,
  OTP_TTL_MS,
  type OtpChannel,
  otpMatches,
} from '../marketplace/otp';
import { type CredentialSigner, signCredential } from './proof';
import { statusEntryOf } from './status-list';

/*
 * The skills passport (docs/guides/skills-passport.md): the participant's valid certificates, each
 * exactly as issued, in one W3C Verifiable Presentation that the gateway signs with the key that
 * signs certificates. Participants hold no keys, so there is no holder proof: the presentation's
 * proof (proofPurpose assertionMethod) is the program attesting that these certificates were issued
 * to one and the same participant, on the day it was made. It names nobody beyond what the
 * certificates name (the participant's name as printed); no NIK, card number or participant id.
 *
 * Certificates issued before status lists existed carry no `credentialStatus` in their signed
 * credential (re-signing them would change documents participants already hold): their status
 * entries travel in the presentation's `legacyCredentialStatus`, under the presentation's proof.
 *
 * Which certificates: without more, those of trainings on vouchers the calling platform sold the
 * participant (a platform sees only its own records). With the participant's consent (a one-time
 * code, as for a purchase or a balance check), all of them.
 */

export const PRESENTATION_CONTEXT = ['https://www.w3.org/ns/credentials/v2'];

/** At most this many consent codes sent to one participant per hour, by all platforms together. */
export const PASSPORT_CONSENTS_PER_HOUR = 3;
const CONSENT_WINDOW_MS = 3_600_000;

/**
 * PASSPORT_CONSENTS_TOO_MANY with the seconds until the oldest of the hour's consents leaves the
 * window, when another may be asked (the errors middleware sends them as `Retry-After`).
 */
export class PassportConsentsTooManyError extends RetryLaterError {
  constructor(retryAfterSeconds: number) {
    super('PASSPORT_CONSENTS_TOO_MANY', retryAfterSeconds, { field: 'voucherId' });
  }
}

const notYourVoucher = () =>
  new AppError('NOT_FOUND', { message: 'No voucher you sold has this id.', field: 'voucherId' });

function requirePlatformActor(actor: Actor): string {
  if (actor.role !== 'platform' || !actor.organisationId) throw new AppError('FORBIDDEN_ROLE');
  return actor.organisationId;
}

/** `platform.passport.requestConsent`: a code to the participant, to gather all their certificates. */
export async function requestPassportConsent(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZRequestPassportConsentInputSchema>;
  otp: OtpChannel | null;
  now: Date;
}): Promise<TPassportConsent> {
  const platformId = requirePlatformActor(opts.actor);
  const input = ZRequestPassportConsentInputSchema.parse(opts.input);
  if (!opts.otp) throw new AppError('OTP_CHANNEL_UNAVAILABLE');
  const otp = opts.otp;
  return opts.db.transaction(async (tx) => {
    const participantId = await participantOfSoldVoucher(tx, input.voucherId, platformId);
    if (!participantId) throw notYourVoucher();
    // A code for someone with no valid certificate could only lead to PASSPORT_EMPTY: nothing is
    // sent, and nothing counts toward the hourly limit.
    if (!(await participantCertificates(tx, participantId)).some((c) => c.status === 'VALID'))
      throw new AppError('PASSPORT_EMPTY', { field: 'voucherId' });
    const since = new Date(opts.now.getTime() - CONSENT_WINDOW_MS);
    const recent = await recentPassportConsents(tx, participantId, since);
    if (recent.count >= PASSPORT_CONSENTS_PER_HOUR) {
      throw new PassportConsentsTooManyError(
        secondsUntilWindowFrees(recent.oldest, CONSENT_WINDOW_MS, opts.now),
      );
    }
    const id = newId('passportConsent', opts.now.getTime());
    const code = generateOtp();
    const expiresAt = new Date(opts.now.getTime() + OTP_TTL_MS);
    await insertPassportConsent(tx, {
      id,
      platformId,
      participantId,
      otpHash: hashOtp(id, code),
      otpExpiresAt: expiresAt,
      status: 'PENDING',
      createdAt: opts.now,
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'passport_consent.requested',
      entityType: 'passport_consent',
      entityId: id,
      fromState: null,
      toState: 'PENDING',
      auditData: { voucherId: input.voucherId, participantId },
    });
    await otp.send({ checkoutId: id, participantId, code, courseTitle: '', price: 0, purpose: 'PASSPORT' });
    return { id, expiresAt: expiresAt.toISOString() };
  });
}

/** The consent's code checked and spent, in the caller's transaction; wrong codes count, the fifth locks. */
async function spendConsent(
  tx: Db,
  consent: { id: string; code: string },
  o: { platformId: string; participantId: string; now: Date },
): Promise<void> {
  const row = await findPassportConsentForUpdate(tx, consent.id, o.platformId);
  if (!row || row.participantId !== o.participantId)
    throw new AppError('NOT_FOUND', {
      message: 'No consent of yours has this id for this participant.',
      field: 'consent.id',
    });
  if (row.status === 'USED')
    throw new AppError('INVALID_STATE', { message: 'This consent was already used.', field: 'consent.id' });
  if (row.status === 'LOCKED') throw new AppError('OTP_LOCKED', { field: 'consent.code' });
  if (row.status === 'EXPIRED' || row.otpExpiresAt < o.now) {
    if (row.status !== 'EXPIRED') await updatePassportConsent(tx, row.id, { status: 'EXPIRED' });
    throw new AppError('OTP_EXPIRED', { field: 'consent.code', commit: true });
  }
  if (!otpMatches(row.id, consent.code, row.otpHash)) {
    const attempts = row.attempts + 1;
    const locked = attempts >= OTP_MAX_ATTEMPTS;
    await updatePassportConsent(tx, row.id, { attempts, ...(locked ? { status: 'LOCKED' as const } : {}) });
    throw new AppError(locked ? 'OTP_LOCKED' : 'OTP_INVALID', {
      message: locked ? undefined : `Wrong code: ${OTP_MAX_ATTEMPTS - attempts} attempts left.`,
      field: 'consent.code',
      commit: true,
    });
  }
  await updatePassportConsent(tx, row.id, { status: 'USED', usedAt: o.now });
}

export async function createPassport(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: TCreatePassportInput;
  signer: CredentialSigner;
  now: Date;
}): Promise<TPassport> {
  const platformId = requirePlatformActor(opts.actor);
  const input = ZCreatePassportInputSchema.parse(opts.input);
  return withCommittedRefusals(opts.db, async (tx) => {
    let participantId: string;
    let rows: CertificateRow[];
    if (input.consent) {
      const found = await participantOfSoldVoucher(tx, input.voucherId, platformId);
      if (!found) throw notYourVoucher();
      participantId = found;
      await spendConsent(tx, input.consent, { platformId, participantId, now: opts.now });
      rows = await participantCertificates(tx, participantId);
    } else {
      const found = await passportCertificates(tx, input.voucherId, platformId);
      if (!found) throw notYourVoucher();
      participantId = found.participantId;
      rows = found.certificates;
    }
    const valid = rows.filter((c) => c.status === 'VALID');
    // With consent the code is spent even when there is nothing to show (the refusal commits).
    if (valid.length === 0)
      throw new AppError('PASSPORT_EMPTY', { field: 'voucherId', commit: input.consent !== undefined });
    const id = newId('passport', opts.now.getTime());
    const base = opts.signer.baseUrl;
    const legacy = valid
      .filter((c) => !('credentialStatus' in c.credential))
      .map((c) => ({ credential: c.credential.id, ...statusEntryOf(base, c.statusIndex) }));
    const unsigned = {
      '@context': PRESENTATION_CONTEXT,
      id: `urn:latih:passport:${id}`,
      type: ['VerifiablePresentation', 'LatihSkillsPassport'],
      verifiableCredential: valid.map((c) => c.credential),
      ...(legacy.length ? { legacyCredentialStatus: legacy } : {}),
    };
    const presentation = signCredential(unsigned, opts.signer, opts.now);
    await rememberCertificateKey(tx, opts.signer.kid, opts.signer.publicJwk as Record<string, string>);
    const scope = input.consent ? 'ALL' : 'OWN_SALES';
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'passport.created',
      entityType: 'passport',
      entityId: id,
      fromState: null,
      toState: 'CREATED',
      auditData: {
        voucherId: input.voucherId,
        participantId,
        scope,
        ...(input.consent ? { consentId: input.consent.id } : {}),
        certificateIds: valid.map((c) => c.id),
      },
    });
    return {
      id,
      createdAt: opts.now.toISOString(),
      scope,
      certificates: valid.map((c) => ({
        id: c.id,
        number: c.number,
        courseId: c.courseId,
        issuedAt: c.issuedAt.toISOString(),
      })),
      presentation,
    };
  });
}
