import {
  CLIENT_ERROR_CATALOG,
  CLIENT_ERROR_CODES,
  ERROR_CATALOG,
  ERROR_CODES,
  errorDocUrl,
  RETRYABLE_ERROR_CODES,
} from '@latih/contracts';
import { z } from 'zod';
import { publicProcedure } from '../../trpc';

const ZErrorCodeSchema = z
  .object({
    code: z.string(),
    status: z.number().int().nullable().meta({
      description: 'The HTTP status; for an SDK-only code, the one LatihError.status holds (null: no answer)',
    }),
    message: z.string(),
    retryable: z.boolean(),
    docs: z.string().meta({ description: "The code's page, as the docUrl of an error body" }),
    sdkOnly: z.boolean().meta({ description: 'Raised by the SDK (LatihError), never in a gateway answer' }),
  })
  .meta({ id: 'ErrorCode' });

export const errorCodesRoute = publicProcedure
  .meta({
    openapi: {
      method: 'GET',
      path: '/public/error-codes',
      tags: ['public'],
      summary: 'The error catalog',
      description:
        "Every stable error code with its HTTP status and meaning, and the SDK's own (CLIENT_AUTH_FAILED, NETWORK_ERROR). No authentication.",
    },
  })
  .input(z.object({}).optional())
  .output(z.object({ items: z.array(ZErrorCodeSchema) }))
  .query(() => ({
    items: [
      ...ERROR_CODES.map((code) => ({
        code,
        status: ERROR_CATALOG[code].status,
        message: ERROR_CATALOG[code].message,
        retryable: RETRYABLE_ERROR_CODES.has(code),
        docs: errorDocUrl(code),
        sdkOnly: false,
      })),
      ...CLIENT_ERROR_CODES.map((code) => ({
        code,
        status: CLIENT_ERROR_CATALOG[code].status,
        message: CLIENT_ERROR_CATALOG[code].message,
        retryable: code === 'NETWORK_ERROR',
        docs: errorDocUrl(code),
        sdkOnly: true,
      })),
    ],
  }));
