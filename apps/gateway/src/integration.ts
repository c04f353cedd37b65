import { INTEGRATION_SIGN_KEYS, type Services, sealerFor } from '@latih/api';
import { handleProtocolRequest } from '@latih/core';
import express, { type Express, type Request } from 'express';

/** The program's protocol signs the path at the root of the host: `/api/v1/integration/…`. */
const PROTOCOL_PATH = /^\/+api\/+v1\/+integration(\/|$)/;

function header(req: Request, name: string): string | undefined {
  // Node lower-cases header names, so `Client_code` and `client_code` arrive alike.
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The program's provider integration protocol (docs/guides/prakerja-compatible.md): every call a
 * POST with a JSON body signed with HMAC-SHA1, answered in the program's envelope. Mounted before
 * the JSON parser: the signature covers the raw bytes. A path sent as `//api/v1/…` is the same path.
 */
export function mountIntegrationProtocol(
  app: Express,
  services: Services,
  opts: { bodyLimit: string; sandbox: boolean },
): void {
  const sealer = sealerFor(services.nikHashKey, INTEGRATION_SIGN_KEYS);
  const raw = express.raw({ type: () => true, limit: opts.bodyLimit });
  app.use((req, res, next) => {
    const path = req.path;
    if (!PROTOCOL_PATH.test(path)) return next();
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return res.status(405).json({
        success: false,
        code: 'ERR_METHOD_NOT_ALLOWED',
        message: 'Every integration call is a POST.',
        request_id: res.locals.requestId,
      });
    }
    return raw(req, res, async (err?: unknown) => {
      if (err) return next(err);
      try {
        const answer = await handleProtocolRequest({
          db: services.db,
          sealer,
          path,
          headers: {
            clientCode: header(req, 'client_code'),
            timestamp: header(req, 'timestamp'),
            signature: header(req, 'signature'),
          },
          rawBody: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '',
          now: new Date(services.now()),
          realNow: new Date(),
          baseUrl: services.tokens.issuer(),
          sandbox: opts.sandbox,
          requestId: res.locals.requestId as string,
        });
        res.status(answer.status).json(answer.body);
      } catch (e) {
        next(e);
      }
    });
  });
}
