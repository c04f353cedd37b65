import { z } from 'zod';

export const ZWhoAmISchema = z
  .object({
    organisationId: z.string(),
    organisationName: z.string(),
    role: z.enum(['pmo', 'provider', 'platform']),
    clientId: z.string(),
    scopes: z.array(z.string()),
  })
  .meta({ id: 'WhoAmI' });
export type TWhoAmI = z.infer<typeof ZWhoAmISchema>;
