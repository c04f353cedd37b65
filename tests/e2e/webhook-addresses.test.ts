import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';

/*
 * The gateway as started (apps/gateway/src/main.ts, its own process): whether webhooks may go to
 * loopback and private addresses is WEBHOOKS_ALLOW_PRIVATE alone, never the absence of
 * NODE_ENV=production. A staging box (NODE_ENV=development, the variable unset) refuses what the
 * issue found accepted; npm start sets the variable, and the guides' local receivers work.
 */

const provider = DEMO_ORGANISATIONS.find((o) => o.key === 'provider-a');

async function startGatewayProcess(name: string, extra: NodeJS.ProcessEnv) {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-webhook-addresses-'));
  const port = await freePort();
  const p = startTsProcess(name, 'apps/gateway/src/main.ts', {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: undefined,
    LOG_LEVEL: 'info',
    JOB_INTERVALS: 'webhooks.deliver=200',
    WEBHOOKS_ALLOW_PRIVATE: undefined,
    ...extra,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(p, `${url}/readyz`, 90_000);
  return { p, url, dataDir };
}

async function tokenOf(url: string) {
  const res = await fetch(`${url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: provider?.clientId,
      client_secret: provider?.clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function register(url: string, token: string, hook: string) {
  const res = await fetch(`${url}/v1/provider/webhooks`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': crypto.randomUUID(),
    },
    body: JSON.stringify({ url: hook, eventTypes: ['course.created'] }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('WEBHOOKS_ALLOW_PRIVATE decides, not NODE_ENV', () => {
  let staging: { p: RunningProcess; url: string; dataDir: string };
  let sandbox: { p: RunningProcess; url: string; dataDir: string };

  beforeAll(async () => {
    [staging, sandbox] = await Promise.all([
      startGatewayProcess('staging (NODE_ENV=development, WEBHOOKS_ALLOW_PRIVATE unset)', {}),
      startGatewayProcess('sandbox (WEBHOOKS_ALLOW_PRIVATE=true, as npm start sets it)', {
        WEBHOOKS_ALLOW_PRIVATE: 'true',
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([staging?.p.stop(), sandbox?.p.stop()]);
    for (const g of [staging, sandbox]) if (g) rmSync(g.dataDir, { recursive: true, force: true });
  });

  it('a staging box refuses loopback, metadata and their disguises with 400 WEBHOOK_URL_INVALID on `url`', async () => {
    const token = await tokenOf(staging.url);
    for (const hook of [
      'http://127.0.0.1:5432',
      'https://127.0.0.1:5432/',
      'http://169.254.169.254/latest/meta-data/',
      'https://169.254.169.254/',
      'https://[::ffff:127.0.0.1]:5432/',
      'https://localhost./',
      'http://2130706433/',
      'https://0x7f.1/',
      'https://0177.0.0.1/',
      'https://metadata.google.internal/',
      'https://10.0.0.8/hooks',
      'https://[fd00::1]/hooks',
    ]) {
      const { status, body } = await register(staging.url, token, hook);
      expect(status, hook).toBe(400);
      expect(body, hook).toMatchObject({ code: 'WEBHOOK_URL_INVALID', field: 'url', retryable: false });
      expect(body.message, hook).toMatch(/public addresses|https URL/);
    }
    const list = await fetch(`${staging.url}/v1/provider/webhooks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    expect(staging.p.lines.join('\n')).not.toContain('WEBHOOKS_ALLOW_PRIVATE=true');
  });

  it('with WEBHOOKS_ALLOW_PRIVATE=true (said at start-up), a receiver on 127.0.0.1 gets its events; metadata stays closed', async () => {
    expect(sandbox.p.logs().some((l) => String(l.msg).startsWith('WEBHOOKS_ALLOW_PRIVATE=true'))).toBe(true);
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const token = await tokenOf(sandbox.url);
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/latih`;
      const created = await register(sandbox.url, token, hook);
      expect(created.status).toBe(200);
      for (const closed of ['http://169.254.169.254/latest/meta-data/', 'https://metadata.google.internal/'])
        expect((await register(sandbox.url, token, closed)).body).toMatchObject({
          code: 'WEBHOOK_URL_INVALID',
          field: 'url',
        });
      const course = await fetch(`${sandbox.url}/v1/provider/courses`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({
          title: 'Dasar Fotografi Produk untuk UMKM',
          summary: 'Memotret produk jualan dengan ponsel',
          category: 'digital-marketing',
          mode: 'WEBINAR',
          hours: 16,
          price: 1_200_000,
        }),
      });
      const { id } = (await course.json()) as { id: string };
      await until(async () => bodies.some((b) => b.includes(id)), 'the course.created delivery', 30_000);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
