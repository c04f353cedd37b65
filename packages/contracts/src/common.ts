import { z } from 'zod';

/** Timestamps travel as ISO-8601 strings in UTC (e.g. 2026-11-23T07:30:00.000Z). */
export const ZTimestampSchema = z.iso
  .datetime({ offset: false })
  .meta({ example: '2026-11-23T07:30:00.000Z' });

/** Money is integer rupiah: IDR has no minor unit in practice, and floats lose money. */
export const ZRupiahSchema = z
  .number()
  .int({ message: 'Amounts are whole rupiah' })
  .min(0)
  .max(1_000_000_000_000)
  .meta({ description: 'Amount in whole rupiah', example: 3_500_000 });

// Query numbers (`limit`, `minScore`, …) are coerced: over REST they arrive as strings ("20").
// `z.coerce.number()` alone types its input `unknown`, so a string `limit` compiled against the SDK;
// `z.coerce.number<number>()` keeps the coercion at run time and types the input `number`.
export const ZPageInputSchema = z.object({
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export type TPageInput = z.infer<typeof ZPageInputSchema>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const ZErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
  requestId: z.string(),
  retryable: z.boolean().optional(),
});
