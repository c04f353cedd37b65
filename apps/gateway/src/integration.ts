import { INTEGRATION_SIGN_KEYS, type Services, sealerFor } from '@latih/api';
import { ERROR_CATALOG, type TErrorCode } from '@latih/contracts';
import { handleProtocolRequest } from '@latih/core';
import express, { type Express, type Request, type Response } from 'express';
import { EdgeRefusal, inspectValue, refuseHostileRequests } from './hostile-input';

/** The program's protocol signs the path at the root of the host: `/api/v1/integration/…`. */
const PROTOCOL_PATH = /^\/+api\/+v1\/+integration(\/|$)/;

function header(req: Request, name: string): string | undefined {
  // Node lower-cases header names, so `Client_code` and `client_code` arrive alike.
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A refusal in the protocol's envelope (its clients read `success` and `code`, never Latih's shape). */
function refuse(
  res: Response,
  code: TErrorCode | 'METHOD_NOT_ALLOWED',
  message: string,
  status?: number,
): void {
  res.status(status ?? (code === 'METHOD_NOT_ALLOWED' ? 405 : ERROR_CATALOG[code].status)).json({
    success: false,
    code: `ERR_${code}`,
    message,
    request_id: res.locals.requestId,
  });
}

/** body-parser's failures: too large, or not readable (bad encoding, aborted). */
function parserFailure(err: unknown): { code: TErrorCode; message: string } {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large')
    return { code: 'PAYLOAD_TOO_LARGE', message: ERROR_CATALOG.PAYLOAD_TOO_LARGE.message };
  return { code: 'BODY_UNREADABLE', message: ERROR_CATALOG.BODY_UNREADABLE.message };
}

/**
 * The program's provider integration protocol (docs/guides/prakerja-compatible.md): every call a
 * POST with a JSON body signed with HMAC-SHA1, answered in the program's envelope. Mounted before
 * the JSON parser (the signature covers the raw bytes) and before the gateway's own hostile-input
 * check, which it runs itself so that its refusals come in the envelope too. A path sent as
 * `//api/v1/…` is the same path.
 */
export function mountIntegrationProtocol(
  app: Express,
  services: Services,
  opts: { bodyLimit: string; sandbox: boolean; refreshClock: (() => Promise<void>) | null },
): void {
  const sealer = sealerFor(services.nikHashKey, INTEGRATION_SIGN_KEYS);
  const raw = express.raw({ type: () => true, limit: opts.bodyLimit });
  const hostile = refuseHostileRequests();
  app.use((req, res, next) => {
    const path = req.path;
    if (!PROTOCOL_PATH.test(path)) return next();
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return refuse(res, 'METHOD_NOT_SUPPORTED', 'Every integration call is a POST.');
    }
    hostile(req, res, (problem?: unknown) => {
      if (problem instanceof EdgeRefusal) return refuse(res, problem.code, problem.message);
      if (problem) return next(problem);
      raw(req, res, async (err?: unknown) => {
        if (err) {
          const f = parserFailure(err);
          return refuse(res, f.code, f.message);
        }
        try {
          const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
          // NUL, lone surrogates, deep nesting: refused before any rule or query sees them.
          let parsed: unknown;
          try {
            parsed = rawBody.trim() === '' ? undefined : JSON.parse(rawBody);
          } catch {
            parsed = undefined; // the handler answers ERR_MALFORMED_JSON once the signature is checked
          }
          const bad = parsed === undefined ? null : inspectValue(parsed, { where: 'The body' });
          if (bad) return refuse(res, bad.code, bad.message);
          await opts.refreshClock?.();
          const answer = await handleProtocolRequest({
            db: services.db,
            sealer,
            path,
            headers: {
              clientCode: header(req, 'client_code'),
              timestamp: header(req, 'timestamp'),
              signature: header(req, 'signature'),
            },
            rawBody,
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
  });
}
