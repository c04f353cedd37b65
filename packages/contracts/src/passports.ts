import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';

/*
 * The skills passport (issue 22, must-show 4): a participant's certificates gathered into one W3C
 * Verifiable Presentation, signed by the gateway, and the revocation status lists (W3C Bitstring
 * Status List) that let anyone check it offline (docs/guides/skills-passport.md).
 */

/** Bits in one revocation status list: the W3C minimum, so that a list hides whose bit is read. */
export const STATUS_LIST_SIZE = 131_072;
/** How long a served status list may be relied on (its validUntil − validFrom). */
export const STATUS_LIST_VALIDITY_SECONDS = 24 * 60 * 60;

const voucherIdField = idSchema('voucher').meta({
  description:
    'A voucher you sold: the passport is the participant’s it was sold to (no card number or other personal data in the request)',
});

export const ZCreatePassportInputSchema = z.object({
  voucherId: voucherIdField,
  consent: z
    .object({
      id: idSchema('passportConsent'),
      code: z.string().regex(/^\d{6}$/, { message: 'The six digits the participant received' }),
    })
    .optional()
    .meta({
      description:
        'The participant’s consent (platform.passport.requestConsent, then the code they received): the passport then holds ALL their certificates, those of trainings bought through other platforms too. Without it: only those of trainings bought through you.',
    }),
});

export const ZRequestPassportConsentInputSchema = z.object({ voucherId: voucherIdField });
export const ZPassportConsentSchema = z
  .object({
    id: idSchema('passportConsent'),
    expiresAt: ZTimestampSchema.meta({ description: 'The one-time code works until then (10 minutes)' }),
  })
  .meta({
    id: 'PassportConsent',
    description: 'The participant received a one-time code: pass it with this id to platform.passport.create',
  });
export type TPassportConsent = z.infer<typeof ZPassportConsentSchema>;
export type TCreatePassportInput = z.input<typeof ZCreatePassportInputSchema>;

export const ZPassportSchema = z
  .object({
    id: z.string().meta({ description: 'The presentation’s id is urn:latih:passport:{id}' }),
    createdAt: ZTimestampSchema,
    scope: z.enum(['OWN_SALES', 'ALL']).meta({
      description:
        'OWN_SALES: the certificates of trainings bought through you; ALL: every certificate of the participant, with their consent',
    }),
    certificates: z
      .array(
        z.object({
          id: z.string(),
          number: z.string(),
          courseId: z.string(),
          issuedAt: ZTimestampSchema,
        }),
      )
      .meta({ description: 'The certificates in the presentation, in its order (oldest first)' }),
    presentation: z.record(z.string(), z.unknown()).meta({
      description:
        'W3C Verifiable Presentation (type LatihSkillsPassport) holding each certificate’s Open Badges 3.0 credential exactly as issued, with a DataIntegrityProof (ecdsa-jcs-2019) by the program: it attests that these certificates were issued to one participant. Give it to the participant; anyone checks it offline with the SDK’s verifyPassport, against /.well-known/jwks.json and the status lists its credentials point at.',
    }),
  })
  .meta({ id: 'Passport' });
export type TPassport = z.infer<typeof ZPassportSchema>;

export const ZStatusListInputSchema = z.object({
  list: z.coerce.number<number>().int().min(1).max(1_000_000).meta({
    description: 'The list number in a certificate’s credentialStatus.statusListCredential',
  }),
});

export const ZStatusListCredentialSchema = z.record(z.string(), z.unknown()).meta({
  id: 'StatusListCredential',
  description:
    'W3C BitstringStatusListCredential (statusPurpose revocation; 131 072 bits, GZIP then base64url, multibase u) with a DataIntegrityProof (ecdsa-jcs-2019). A set bit is a revoked certificate. validUntil is one day after validFrom: an offline verifier refreshes it before then.',
});
