import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';

/** `LTH-2026-K7QM-3XTA-9WH4`: year, 11 random Crockford base32 characters and a check character. */
export const CERTIFICATE_NUMBER_PATTERN =
  /^LTH-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export const ZCertificateNumberSchema = z.string().trim().min(1).max(40).meta({
  description: 'Certificate number as printed (case and spacing forgiven)',
  example: 'LTH-2026-K7QM-3XTA-9WH4',
});

export const ZCertificateVerificationSchema = z
  .object({
    number: z.string(),
    status: z.enum(['VALID', 'REVOKED']),
    course: z.object({ id: z.string(), title: z.string(), hours: z.number() }),
    provider: z.object({ id: z.string(), name: z.string() }),
    participantName: z.string().meta({ description: 'Masked: first letter of each word only' }),
    issuedAt: ZTimestampSchema,
    revokedAt: ZTimestampSchema.nullable(),
    revocationReason: z.string().nullable(),
    verificationMethod: z.string().meta({ description: 'The JWKS key that signed the credential' }),
  })
  .meta({ id: 'CertificateVerification' });
export type TCertificateVerification = z.infer<typeof ZCertificateVerificationSchema>;

export const ZCertificateSchema = z
  .object({
    id: z.string(),
    number: z.string(),
    enrollmentId: z.string(),
    courseId: z.string(),
    status: z.enum(['VALID', 'REVOKED']),
    issuedAt: ZTimestampSchema,
    revokedAt: ZTimestampSchema.nullable(),
    revocationReason: z.string().nullable(),
    credential: z.record(z.string(), z.unknown()).meta({
      description:
        'Open Badges 3.0 OpenBadgeCredential with a DataIntegrityProof (ecdsa-jcs-2019: ES256 over JCS-canonical JSON), checkable offline against /.well-known/jwks.json',
    }),
  })
  .meta({ id: 'Certificate' });
export type TCertificate = z.infer<typeof ZCertificateSchema>;

export const ZGetCertificateInputSchema = z
  .object({
    number: ZCertificateNumberSchema.optional(),
    enrollmentId: idSchema('enrollment').optional(),
  })
  .refine((v) => (v.number === undefined) !== (v.enrollmentId === undefined), {
    message: 'Give either number or enrollmentId',
    path: ['number'],
  });

export const ZRevokeCertificateInputSchema = z.object({
  number: ZCertificateNumberSchema,
  reason: z.string().trim().min(10).max(2000),
});

// ── Identity-check hand-off ────────────────────────────────────────────────────────────────────

export const IDENTITY_FAILURE_REASONS = ['FACE_MISMATCH', 'NOT_ME', 'CAMERA_UNAVAILABLE', 'OTHER'] as const;

export const ZRedirectUriInputSchema = z.object({
  uri: z.string().max(2000).meta({
    description: 'Absolute https URL (http only for localhost), no fragment',
    example: 'https://lms.example.id/latih/return',
  }),
});
export const ZRedirectUriSchema = z
  .object({ uri: z.string(), createdAt: ZTimestampSchema })
  .meta({ id: 'RedirectUri' });

export const ZVerificationLinkInputSchema = z.object({
  enrollmentId: idSchema('enrollment'),
  sequence: z.number().int().min(1).max(200),
  redirectUri: z.string().max(2000).meta({ description: 'Exactly one of your registered redirect URIs' }),
  state: z.string().min(8).max(500).meta({
    description: 'Opaque value returned to you unchanged; bind it to the participant’s session (CSRF)',
  }),
});

export const ZVerificationLinkSchema = z
  .object({
    url: z.string().meta({ description: 'Single-use page for the participant; open it in their browser' }),
    expiresAt: ZTimestampSchema,
  })
  .meta({ id: 'VerificationLink' });

// ── Reviews ────────────────────────────────────────────────────────────────────────────────────

export const ZSubmitReviewInputSchema = z.object({
  voucherId: idSchema('voucher'),
  rating: z.number().int().min(1).max(5),
  text: z.string().trim().min(1).max(2000),
});

export const ZReviewSchema = z
  .object({
    id: z.string(),
    voucherId: z.string(),
    courseId: z.string(),
    rating: z.number().int(),
    text: z.string(),
    createdAt: ZTimestampSchema,
  })
  .meta({ id: 'Review' });

export const ZRatingSchema = z
  .object({
    average: z
      .number()
      .nullable()
      .meta({ description: 'Mean of 1–5 stars, one decimal; null with no reviews' }),
    count: z.number().int(),
  })
  .meta({ id: 'Rating' });
