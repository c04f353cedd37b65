import { ERROR_CATALOG, ERROR_CODES, RETRYABLE_ERROR_CODES } from '@latih/contracts';
import { z } from 'zod';
import { publicProcedure } from '../../trpc';

const ZErrorCodeSchema = z
  .object({
    code: z.string(),
    status: z.number().int(),
    message: z.string(),
    retryable: z.boolean(),
    docs: z.string(),
  })
  .meta({ id: 'ErrorCode' });

export const errorCodesRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/error-codes',
      tags: ['public'],
      summary: 'The error catalog',
      description: 'Every stable error code with its HTTP status and meaning. No authentication.',
    },
  })
  .input(z.object({}).optional())
  .output(z.object({ items: z.array(ZErrorCodeSchema) }))
  .query(() => ({
    items: ERROR_CODES.map((code) => ({
      code,
      status: ERROR_CATALOG[code].status,
      message: ERROR_CATALOG[code].message,
      retryable: RETRYABLE_ERROR_CODES.has(code),
      docs: `/docs/errors#${code.toLowerCase()}`,
    })),
  }));
