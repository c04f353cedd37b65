import {
  AppError,
  type TCreatePassportInput,
  type TPassport,
  ZCreatePassportInputSchema,
} from '@latih/contracts';
import { type Db, passportCertificates, rememberCertificateKey } from '@latih/db';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';
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
 * Which certificates: those of trainings on vouchers the calling platform sold the participant, as
 * everywhere else a platform sees only its own records.
 */

export const PRESENTATION_CONTEXT = ['https://www.w3.org/ns/credentials/v2'];

export async function createPassport(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: TCreatePassportInput;
  signer: CredentialSigner;
  now: Date;
}): Promise<TPassport> {
  if (opts.actor.role !== 'platform' || !opts.actor.organisationId) throw new AppError('FORBIDDEN_ROLE');
  const input = ZCreatePassportInputSchema.parse(opts.input);
  const platformId = opts.actor.organisationId;
  return opts.db.transaction(async (tx) => {
    const found = await passportCertificates(tx, input.voucherId, platformId);
    if (!found)
      throw new AppError('NOT_FOUND', { message: 'No voucher you sold has this id.', field: 'voucherId' });
    const valid = found.certificates.filter((c) => c.status === 'VALID');
    if (valid.length === 0) throw new AppError('PASSPORT_EMPTY', { field: 'voucherId' });
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
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'passport.created',
      entityType: 'passport',
      entityId: id,
      fromState: null,
      toState: 'CREATED',
      auditData: {
        voucherId: input.voucherId,
        participantId: found.participantId,
        certificateIds: valid.map((c) => c.id),
      },
    });
    return {
      id,
      createdAt: opts.now.toISOString(),
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
