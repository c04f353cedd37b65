import { z } from 'zod';
import { ZTimestampSchema } from './common';

/** The sandbox's test clock (outside production): program time = real time + an offset. */
export const ZTestClockSchema = z
  .object({
    now: ZTimestampSchema.meta({ description: "The program's time now, as every rule and job reads it" }),
    offsetSeconds: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'How far the program time runs ahead of the real time' }),
    status: z.enum(['READY', 'ADVANCING']).meta({
      description:
        'ADVANCING after an advance until every scheduled job has run once at the new time (in schedule order); then READY',
    }),
    advancedAt: ZTimestampSchema.nullable().meta({ description: 'Real time of the last advance' }),
    schedulers: z.number().int().min(0).meta({
      description:
        'How many processes run the schedule now (gateways, workers). With none, an advance stays ADVANCING',
    }),
    pendingJobs: z.array(z.string()).meta({
      description: 'ADVANCING: the jobs those processes run that have not yet run at the new time',
    }),
  })
  .meta({ id: 'TestClock' });
export type TTestClock = z.infer<typeof ZTestClockSchema>;

export const ZAdvanceTestClockInputSchema = z
  .object({
    to: ZTimestampSchema.optional().meta({
      description: 'Move the clock to this instant (UTC). Give this or `seconds`.',
    }),
    seconds: z.number().int().optional().meta({
      description: 'Move the clock forward by this many seconds. Give this or `to`.',
      example: 3600,
    }),
  })
  .meta({ id: 'AdvanceTestClockInput' });
export type TAdvanceTestClockInput = z.infer<typeof ZAdvanceTestClockInputSchema>;
