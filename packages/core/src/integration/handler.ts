import type { Db } from '@latih/db';
import type { Sealer } from '../sealing';
import { authenticateProtocolCall } from './credentials';
import { PROTOCOL_OPERATIONS, type ProtocolAnswer, ProtocolError, protocolFailure } from './protocol';
import { normalizeProtocolPath, PROTOCOL_PREFIX } from './signature';

/**
 * One request of the program's provider integration protocol, from the HTTP shell: the path (as
 * sent, repeated slashes merged), the three headers, the raw body. Authenticates, parses, runs the
 * operation and answers in the protocol's envelope; never throws for a caller's mistake.
 */
export async function handleProtocolRequest(opts: {
  db: Db;
  sealer: Sealer;
  path: string;
  headers: { clientCode: string | undefined; timestamp: string | undefined; signature: string | undefined };
  rawBody: string;
  /** The program's time (a sandbox's test clock) for the rules; the real time for the timestamp. */
  now: Date;
  realNow: Date;
  baseUrl: string;
  sandbox: boolean;
  requestId: string;
}): Promise<ProtocolAnswer> {
  try {
    const path = normalizeProtocolPath(opts.path);
    const operation = path.startsWith(PROTOCOL_PREFIX)
      ? PROTOCOL_OPERATIONS[path.slice(PROTOCOL_PREFIX.length).replace(/\/$/, '')]
      : undefined;
    if (!operation) throw new ProtocolError('ROUTE_NOT_FOUND', `No integration operation at ${path}.`);
    const actor = await authenticateProtocolCall({
      db: opts.db,
      sealer: opts.sealer,
      headers: opts.headers,
      path,
      rawBody: opts.rawBody,
      realNow: opts.realNow,
    });
    let body: unknown;
    try {
      body = opts.rawBody.trim() === '' ? {} : JSON.parse(opts.rawBody);
    } catch {
      throw new ProtocolError('MALFORMED_JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ProtocolError('VALIDATION_FAILED', 'body: a JSON object');
    return await operation({
      db: opts.db,
      actor,
      requestId: opts.requestId,
      now: opts.now,
      baseUrl: opts.baseUrl,
      sandbox: opts.sandbox,
      body,
    });
  } catch (err) {
    return protocolFailure(err, opts.requestId);
  }
}
