import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEBHOOK_RETRY_DAYS } from '@latih/contracts';
import { createSealer, deliverDue, fanOutEvents, pinnedTransport, WebhookTargetRefused } from '@latih/core';
import { schema } from '@latih/db';
import { verifyWebhook } from '@latih/sdk';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fullCourse } from '../support/catalog-fixtures';
import { engines } from '../support/db';
import { type Harness, useHarness } from '../support/harness';
import { fakeLookup, SPECIAL_ADDRESSES } from '../support/webhook-targets';

/*
 * Webhook delivery cannot reach inside (issue 16): the address is checked where the connection is
 * made, on the resolved address, and the connection goes to that address. Names are resolved by an
 * injected resolver (no real DNS). A "trap" listens on 127.0.0.1 and ::1 at the port every refused
 * URL names: had the check let a delivery through, the trap would have seen the connection.
 */

const PUBLIC = '93.184.215.14';
const DAY = 86_400_000;

/** A TCP listener that only counts connections (and closes them). */
async function trap(host: string) {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A self-signed certificate for one host name (openssl, as the webhook guide uses). */
function certificateFor(name: string, dir: string) {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

type Got = {
  host: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
  url: string | undefined;
};

/** A receiver on 127.0.0.1 (https with `tls`), answering each request as told. */
async function receiver(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: { key: Buffer; cert: Buffer },
) {
  const got: Got[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        host: req.headers.host,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        url: req.url,
      });
      answer(req, res);
    });
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let dir = '';
let v4: Awaited<ReturnType<typeof trap>>;
let v6: Awaited<ReturnType<typeof trap>>;
let cert: { key: Buffer; cert: Buffer };
let otherCert: { key: Buffer; cert: Buffer };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latih-ssrf-'));
  cert = certificateFor('partner.example', dir);
  otherCert = certificateFor('someone-else.example', dir);
  v4 = await trap('127.0.0.1');
  v6 = await trap('::1');
});

afterAll(async () => {
  await v4?.close();
  await v6?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The URLs an attacker would register, each aimed at the trap. */
function hostileUrls() {
  const p = v4.port;
  const literal = [
    `https://127.0.0.1:${p}/hook`,
    `http://127.0.0.1:${p}/hook`,
    `https://[::ffff:127.0.0.1]:${p}/hook`,
    `https://[::ffff:7f00:1]:${p}/hook`,
    `https://localhost.:${p}/hook`,
    `https://localhost:${p}/hook`,
    `http://2130706433:${p}/hook`,
    `https://0x7f.1:${p}/hook`,
    `https://0177.0.0.1:${p}/hook`,
    `https://127.1:${p}/hook`,
    `https://[::1]:${v6.port}/hook`,
    `https://metadata.google.internal:${p}/computeMetadata/v1/`,
    `http://169.254.169.254:${p}/latest/meta-data/`,
  ];
  // Names that resolve inside (the resolver below): the trap's address, or a special-use one.
  const names: Record<string, string | string[]> = {
    'localtest.me': '127.0.0.1',
    '127.0.0.1.nip.io': '127.0.0.1',
    'mapped.partner.example': '::ffff:127.0.0.1',
    'nat64.partner.example': '64:ff9b::7f00:1',
    'compat.partner.example': '::127.0.0.1',
    'v6.partner.example': '::1',
    'mixed.partner.example': [PUBLIC, '127.0.0.1'],
  };
  SPECIAL_ADDRESSES.forEach(([address], i) => {
    names[`s${i}.partner.example`] = address;
  });
  const named = Object.keys(names).map((n) => `https://${n}:${n.startsWith('v6.') ? v6.port : p}/hook`);
  return { urls: [...literal, ...named], lookup: fakeLookup(names) };
}

describe('the delivery transport (node:http(s), lookup pinned to checked addresses)', () => {
  it('refuses every hostile URL before any connection is made', async () => {
    const { urls, lookup } = hostileUrls();
    const send = pinnedTransport({ allowPrivate: false, lookup });
    for (const url of urls) {
      const err = await send({ url, headers: {}, body: '{}', timeoutMs: 5_000 }).then(
        (r) => r,
        (e: unknown) => e,
      );
      expect(err, url).toBeInstanceOf(WebhookTargetRefused);
    }
    // Each name was resolved, and no address it resolved to was connected to.
    expect(lookup.calls).toEqual(
      expect.arrayContaining(['localtest.me', '127.0.0.1.nip.io', 's0.partner.example']),
    );
    expect(v4.connections()).toBe(0);
    expect(v6.connections()).toBe(0);
  });

  it('connects to the address it checked, and verifies TLS against the URL’s host name', async () => {
    const hook = await receiver((_req, res) => res.writeHead(204).end(), cert);
    const impostor = await receiver((_req, res) => res.writeHead(204).end(), otherCert);
    try {
      // partner.example exists only in this resolver: the connection can only have gone to the
      // address the lookup handed over.
      const lookup = fakeLookup({ 'partner.example': '127.0.0.1' });
      const send = pinnedTransport({ allowPrivate: true, lookup, ca: [cert.cert, otherCert.cert] });
      const res = await send({
        url: `https://partner.example:${hook.port}/latih?x=1`,
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
        timeoutMs: 5_000,
      });
      expect(res.status).toBe(204);
      expect(hook.got).toEqual([
        expect.objectContaining({ host: `partner.example:${hook.port}`, body: '{"a":1}', url: '/latih?x=1' }),
      ]);
      // A server whose certificate names someone else is refused, though its address is allowed.
      const wrong = await send({
        url: `https://partner.example:${impostor.port}/latih`,
        headers: {},
        body: '{}',
        timeoutMs: 5_000,
      }).then(
        () => null,
        (e: NodeJS.ErrnoException) => e,
      );
      expect(wrong?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(impostor.got).toEqual([]);
    } finally {
      await hook.close();
      await impostor.close();
    }
  });

  it('does not follow redirects', async () => {
    const hook = await receiver((_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${v4.port}/inside` }).end(),
    );
    try {
      const send = pinnedTransport({ allowPrivate: true });
      const res = await send({
        url: `http://127.0.0.1:${hook.port}/h`,
        headers: {},
        body: '{}',
        timeoutMs: 5_000,
      });
      expect(res.status).toBe(307);
      expect(hook.got).toHaveLength(1);
      expect(v4.connections()).toBe(0);
    } finally {
      await hook.close();
    }
  });

  it('a receiver that never answers is given up at the timeout', async () => {
    const hang = createTcpServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    try {
      const send = pinnedTransport({ allowPrivate: true });
      const port = (hang.address() as AddressInfo).port;
      await expect(
        send({ url: `http://127.0.0.1:${port}/h`, headers: {}, body: '{}', timeoutMs: 200 }),
      ).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      hang.close();
    }
  });

  it('with WEBHOOKS_ALLOW_PRIVATE, link-local and metadata stay closed', async () => {
    const lookup = fakeLookup({
      'meta.partner.example': '169.254.169.254',
      'me.partner.example': '::ffff:169.254.169.254',
    });
    const send = pinnedTransport({ allowPrivate: true, lookup });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'https://meta.partner.example/',
      'https://me.partner.example/',
      'https://metadata.google.internal/',
      'http://[fe80::1]/',
    ])
      await expect(send({ url, headers: {}, body: '', timeoutMs: 5_000 }), url).rejects.toBeInstanceOf(
        WebhookTargetRefused,
      );
  });
});

const sealerOf = (h: Harness) => createSealer(h.services.nikHashKey, 'webhook-secrets');

describe.each(engines())('webhook addresses on %s', (engine) => {
  const h = useHarness(engine);

  /** As in production: WEBHOOKS_ALLOW_PRIVATE off, names resolved by this resolver. */
  function production(lookup: ReturnType<typeof fakeLookup>) {
    h.services.allowLocalWebhooks = false;
    h.services.webhookLookup = lookup;
  }
  afterEach(async () => {
    // A failed test leaves no endpoint behind for the next (16 per organisation).
    const hooks = h.caller('providerA').provider.webhooks;
    for (const e of (await hooks.list()).items) await hooks.delete({ id: e.id });
  });
  afterAll(() => {
    h.services.allowLocalWebhooks = true;
    delete h.services.webhookLookup;
  });

  async function endpointRows() {
    return h.db.select().from(schema.webhookEndpoints);
  }
  async function deliveriesOf(endpointId: string) {
    return h.db
      .select()
      .from(schema.webhookDeliveries)
      .where(eq(schema.webhookDeliveries.endpointId, endpointId));
  }
  async function newEvent() {
    await h.caller('providerA').provider.courses.create({ ...fullCourse, title: `Kelas ${Math.random()}` });
  }

  it('registration refuses every hostile URL with 400 WEBHOOK_URL_INVALID on `url`, and writes nothing', async () => {
    const { urls, lookup } = hostileUrls();
    production(lookup);
    const hooks = h.caller('providerA').provider.webhooks;
    const before = await endpointRows();
    const audit = async () =>
      (await h.db.select().from(schema.auditLog)).filter((a) => a.action.startsWith('webhook_endpoint'))
        .length;
    const auditBefore = await audit();
    for (const url of urls) {
      const err = await hooks.create({ url, eventTypes: ['*'] }).then(
        () => null,
        (e: { cause?: { code?: string; field?: string; status?: number } }) => e.cause,
      );
      expect(err, url).toMatchObject({ code: 'WEBHOOK_URL_INVALID', field: 'url', status: 400 });
    }
    expect(await endpointRows()).toEqual(before);
    expect(await audit()).toBe(auditBefore);

    // Changing a good endpoint's URL to a hostile one is refused the same way, and changes nothing.
    lookup.set('partner.example', PUBLIC);
    const { endpoint } = await hooks.create({ url: 'https://partner.example/hook', eventTypes: ['*'] });
    for (const url of urls.slice(0, 8)) {
      const err = await hooks.update({ id: endpoint.id, url }).then(
        () => null,
        (e: { cause?: { code?: string; field?: string } }) => e.cause,
      );
      expect(err, url).toMatchObject({ code: 'WEBHOOK_URL_INVALID', field: 'url' });
    }
    expect((await hooks.get({ id: endpoint.id })).url).toBe('https://partner.example/hook');
    await hooks.delete({ id: endpoint.id });
  });

  it('DNS rebinding: public at registration, 127.0.0.1 at delivery: refused at delivery, nothing connects, retried and given up like any failure', async () => {
    const lookup = fakeLookup({ 'rebind.partner.example': PUBLIC });
    production(lookup);
    const hooks = h.caller('providerA').provider.webhooks;
    const { endpoint } = await hooks.create({
      url: `https://rebind.partner.example:${v4.port}/hook`,
      eventTypes: ['course.created'],
    });
    await fanOutEvents({ db: h.db, now: new Date() });
    await newEvent();
    lookup.set('rebind.partner.example', '127.0.0.1');
    lookup.calls.length = 0;
    const t0 = Date.now();
    const deliver = (at: number) =>
      deliverDue({ db: h.db, now: new Date(at), sealer: sealerOf(h), allowPrivate: false, lookup });
    await fanOutEvents({ db: h.db, now: new Date(t0) });
    expect(await deliver(t0)).toBe(1);

    expect(lookup.calls).toEqual(['rebind.partner.example']); // resolved at delivery, where it connects
    const [d] = await deliveriesOf(endpoint.id);
    expect(d).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null });
    expect(d?.lastError).toBe(
      'Refused: rebind.partner.example resolves to 127.0.0.1, a loopback address: webhooks may only go to public addresses.',
    );
    const log = await hooks.delivery({ id: d?.id ?? '' });
    expect(log.attempts).toEqual([
      { at: expect.any(String), statusCode: null, error: d?.lastError, durationMs: expect.any(Number) },
    ]);
    // Retried with backoff, refused each time, given up after 3 days; the endpoint is disabled.
    for (let hour = 1; hour <= WEBHOOK_RETRY_DAYS * 24 + 7; hour++) await deliver(t0 + hour * 3_600_000);
    const [last] = await deliveriesOf(endpoint.id);
    expect(last?.status).toBe('FAILED');
    expect(last?.attempts).toBeGreaterThan(5);
    expect(last?.lastError).toMatch(/^Refused: /);
    expect((await hooks.get({ id: endpoint.id })).status).toBe('DISABLED');
    expect(v4.connections()).toBe(0);
    await hooks.delete({ id: endpoint.id });
  });

  it('endpoints stored before this check (inside addresses in the database) are refused at delivery', async () => {
    const { urls, lookup } = hostileUrls();
    lookup.set('partner.example', PUBLIC);
    production(lookup);
    const hooks = h.caller('providerA').provider.webhooks;
    await fanOutEvents({ db: h.db, now: new Date() });
    const picked = urls.filter((_, i) => i % 3 === 0).slice(0, 14);
    const ids: string[] = [];
    for (const url of picked) {
      const { endpoint } = await hooks.create({
        url: 'https://partner.example/hook',
        eventTypes: ['course.created'],
      });
      await h.db
        .update(schema.webhookEndpoints)
        .set({ url })
        .where(eq(schema.webhookEndpoints.id, endpoint.id));
      ids.push(endpoint.id);
    }
    await newEvent();
    const now = new Date();
    await fanOutEvents({ db: h.db, now });
    expect(await deliverDue({ db: h.db, now, sealer: sealerOf(h), allowPrivate: false, lookup })).toBe(
      picked.length,
    );
    for (const [i, id] of ids.entries()) {
      const [d] = await deliveriesOf(id);
      expect(d, picked[i]).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null });
      expect(d?.lastError, picked[i]).toMatch(
        /^Refused: .*(loopback|link-local|metadata|local host name|special-use|reserved|private|IPv4-compatible|unique-local|multicast|unspecified|broadcast|NAT|6to4|Teredo|global unicast|benchmarking|discard|site-local|translated)/,
      );
    }
    expect(v4.connections()).toBe(0);
    expect(v6.connections()).toBe(0);
    for (const id of ids) await hooks.delete({ id });
  });

  it('an allowed address is delivered to, over the pinned connection (WEBHOOKS_ALLOW_PRIVATE, name → 127.0.0.1)', async () => {
    const hook = await receiver((_req, res) => res.writeHead(204).end(), cert);
    try {
      const lookup = fakeLookup({ 'partner.example': '127.0.0.1' });
      h.services.allowLocalWebhooks = true;
      h.services.webhookLookup = lookup;
      const hooks = h.caller('providerA').provider.webhooks;
      const { endpoint, secret } = await hooks.create({
        url: `https://partner.example:${hook.port}/latih`,
        eventTypes: ['course.created'],
      });
      await fanOutEvents({ db: h.db, now: new Date() });
      await newEvent();
      const now = new Date();
      await fanOutEvents({ db: h.db, now });
      await deliverDue({
        db: h.db,
        now,
        sealer: sealerOf(h),
        transport: pinnedTransport({ allowPrivate: true, lookup, ca: cert.cert }),
      });
      const [d] = await deliveriesOf(endpoint.id);
      expect(d).toMatchObject({ status: 'SUCCEEDED', attempts: 1, lastStatusCode: 204, lastError: null });
      expect(hook.got).toHaveLength(1);
      const event = await verifyWebhook(
        hook.got[0]?.body ?? '',
        hook.got[0]?.headers['latih-signature'] as string,
        secret,
      );
      expect(event.type).toBe('course.created');

      // The same endpoint with the setting off (as in production): refused, the receiver hears nothing more.
      await hooks.replay({ id: d?.id ?? '' });
      await deliverDue({ db: h.db, now: new Date(), sealer: sealerOf(h), allowPrivate: false, lookup });
      const [again] = await deliveriesOf(endpoint.id);
      expect(again?.lastError).toMatch(
        /^Refused: partner\.example resolves to 127\.0\.0\.1, a loopback address/,
      );
      expect(hook.got).toHaveLength(1);
      await hooks.delete({ id: endpoint.id });
    } finally {
      await hook.close();
    }
  });

  it('a redirect is an answer, not followed: recorded as a failure, its target never called', async () => {
    const hook = await receiver((_req, res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${v4.port}/inside` }).end(),
    );
    try {
      h.services.allowLocalWebhooks = true;
      const hooks = h.caller('providerA').provider.webhooks;
      const { endpoint } = await hooks.create({
        url: `http://127.0.0.1:${hook.port}/latih`,
        eventTypes: ['course.created'],
      });
      await fanOutEvents({ db: h.db, now: new Date() });
      await newEvent();
      const now = new Date();
      await fanOutEvents({ db: h.db, now });
      await deliverDue({ db: h.db, now, sealer: sealerOf(h), allowPrivate: true });
      const [d] = await deliveriesOf(endpoint.id);
      expect(d).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: 302, lastError: 'HTTP 302' });
      expect(hook.got).toHaveLength(1);
      expect(v4.connections()).toBe(0);
      await hooks.delete({ id: endpoint.id });
    } finally {
      await hook.close();
    }
  });

  it('a name that does not resolve at delivery is a failed attempt too, retried like any other', async () => {
    const hooks = h.caller('providerA').provider.webhooks;
    const lookup = fakeLookup({ 'partner.example': PUBLIC });
    production(lookup);
    const { endpoint } = await hooks.create({
      url: 'https://gone.partner.example/h',
      eventTypes: ['course.created'],
    });
    await fanOutEvents({ db: h.db, now: new Date() });
    await newEvent();
    const now = new Date();
    await fanOutEvents({ db: h.db, now });
    await deliverDue({ db: h.db, now, sealer: sealerOf(h), allowPrivate: false, lookup });
    const [d] = await deliveriesOf(endpoint.id);
    expect(d).toMatchObject({ status: 'PENDING', attempts: 1, lastStatusCode: null });
    expect(d?.lastError).toMatch(/^Could not connect: getaddrinfo ENOTFOUND gone\.partner\.example/);
    expect(new Date(d?.nextAttemptAt ?? 0).getTime()).toBeLessThan(now.getTime() + DAY);
    await hooks.delete({ id: endpoint.id });
  });
});
