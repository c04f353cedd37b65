import { z } from 'zod';
import { ZTimestampSchema } from './common';
import { idSchema } from './ids';
import { ORGANISATION_KINDS, ORGANISATION_STATUSES } from './values';

export const ZOrganisationKindSchema = z.enum(ORGANISATION_KINDS);
export type TOrganisationKind = z.infer<typeof ZOrganisationKindSchema>;

export const ZOrganisationStatusSchema = z.enum(ORGANISATION_STATUSES);
export type TOrganisationStatus = z.infer<typeof ZOrganisationStatusSchema>;

export const ZOrganisationSchema = z
  .object({
    id: idSchema('organisation'),
    kind: ZOrganisationKindSchema,
    name: z.string(),
    status: ZOrganisationStatusSchema,
    createdAt: ZTimestampSchema,
    updatedAt: ZTimestampSchema,
  })
  .meta({ id: 'Organisation' });
export type TOrganisation = z.infer<typeof ZOrganisationSchema>;

export const ZListOrganisationsInputSchema = z.object({
  kind: ZOrganisationKindSchema.optional(),
  status: ZOrganisationStatusSchema.optional(),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export type TListOrganisationsInput = z.infer<typeof ZListOrganisationsInputSchema>;
