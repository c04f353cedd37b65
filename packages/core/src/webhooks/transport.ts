import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { AppError } from '@latih/contracts';
import {
  addressRefusal,
  ONLY_PUBLIC,
  parseWebhookTarget,
  resolveAllowed,
  type WebhookTargetPolicy,
  WebhookTargetRefused,
} from './address';

export type WebhookRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** For the whole exchange: resolving, connecting, sending and reading the answer. */
  timeoutMs: number;
};
/** POSTs one delivery; resolves with the answer's status (redirects are answers, never followed). */
export type WebhookTransport = (req: WebhookRequest) => Promise<{ status: number }>;

/** How much of an answer's body is read (and thrown away) before the connection is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The delivery transport: node:http(s) with a `lookup` that resolves the host, checks every address
 * it has and hands the socket only those, so the connection goes to an address that was checked
 * (a name that resolved to a public address at registration and to 127.0.0.1 now is refused before
 * any connection: DNS rebinding fails). An IP address host is checked as it is (Node connects to
 * it without a lookup). TLS is verified against the URL's host name, as usual. As a second guard,
 * the socket's remote address is checked again once connected.
 * A refusal rejects with WebhookTargetRefused.
 */
export function pinnedTransport(
  policy: WebhookTargetPolicy & {
    /** Tests: certificate authorities to trust instead of the system's. */
    ca?: string | Buffer | (string | Buffer)[];
  },
): WebhookTransport {
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolveAllowed(hostname, policy).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
        const first = usable[0];
        if (!first) {
          callback(new WebhookTargetRefused(`${hostname} has no IPv${wanted} address.`), '', 0);
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };

  return (req) =>
    new Promise((resolve, reject) => {
      let target: ReturnType<typeof parseWebhookTarget>;
      try {
        target = parseWebhookTarget(req.url, policy.allowPrivate);
      } catch (err) {
        reject(err instanceof AppError ? new WebhookTargetRefused(err.message) : err);
        return;
      }
      const { url, host } = target;
      const secure = url.protocol === 'https:';
      const options: https.RequestOptions = {
        method: 'POST',
        protocol: url.protocol,
        host,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        lookup,
        // A socket of its own: no pooled connection made for another check is reused.
        agent: false,
        signal: AbortSignal.timeout(req.timeoutMs),
        ...(secure && policy.ca ? { ca: policy.ca } : {}),
      };
      const request = (secure ? https : http).request(options, (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode ?? 0 }));
      });
      request.on('socket', (socket: Socket) => {
        const check = () => {
          const remote = socket.remoteAddress ?? '(no address)';
          const refusal = addressRefusal(remote, policy.allowPrivate);
          if (refusal)
            request.destroy(new WebhookTargetRefused(`Connected to ${remote}, ${refusal}: ${ONLY_PUBLIC}`));
        };
        if (socket.remoteAddress) check();
        else socket.once('connect', check);
      });
      request.on('error', reject);
      request.end(req.body);
    });
}
