import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { execRows, schema } from '@latih/db';
import { createLatihClient, type LatihClient } from '@latih/sdk';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { haproxyAvailable, startHaproxy } from '../support/haproxy';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';

/**
 * Two gateway processes behind a real load balancer (Debian's haproxy) on one PostgreSQL database,
 * sharing their keys, with the payment provider as a process of its own: what one instance issues
 * the other accepts, each scheduled job's effect happens once, and an instance stopped with SIGTERM
 * in the middle of load loses no request.
 */
describe.runIf(postgresAvailable() && (haproxyAvailable() || process.env.CI === 'true'))(
  'two gateways behind a load balancer',
  () => {
    const apiKey = `sk_test_${randomBytes(8).toString('hex')}`;
    const webhookSecret = `whsec_${randomBytes(12).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'latih-lb-'));
    const redisPrefix = `latih-lb-${randomBytes(6).toString('hex')}:`;
    const demo = Object.fromEntries(DEMO_ORGANISATIONS.map((o) => [o.key, o]));
    let db: TestDatabase;
    let mock: RunningProcess;
    let mockUrl = '';
    let publicUrl = '';
    let lb: Awaited<ReturnType<typeof startHaproxy>>;
    const gw: Record<'a' | 'b', { process: RunningProcess; port: number; url: string }> = {} as never;

    // A receiver for webhooks: every delivery, by event id.
    const deliveries: string[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        deliveries.push(String(req.headers['latih-event-id']));
        res.writeHead(204).end();
      });
    });

    async function startGateway(name: 'a' | 'b', port: number) {
      const p = startTsProcess(`gateway ${name}`, 'apps/gateway/src/main.ts', {
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        PAYMENTS_BASE_URL: mockUrl,
        PAYMENTS_API_KEY: apiKey,
        PAYMENTS_WEBHOOK_SECRET: webhookSecret,
        JOB_INTERVALS: 'payouts.pay=300,webhooks.deliver=200',
        // Unready for 2.5 s on SIGTERM: the balancer takes an instance out after two failed checks 300 ms apart.
        SHUTDOWN_DRAIN_MS: '2500',
        WEBHOOKS_ALLOW_PRIVATE: 'true',
        TRUST_PROXY: 'loopback',
        // The token issuer: one for every instance behind the balancer.
        PUBLIC_URL: publicUrl,
        // Rate limits shared through Redis, under a prefix of this run's own.
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: redisPrefix,
        RATE_LIMIT_TOKEN_FAILURES: '6/600',
      });
      await waitForHttp(p, `http://127.0.0.1:${port}/readyz`);
      gw[name] = { process: p, port, url: `http://127.0.0.1:${port}` };
    }

    beforeAll(async () => {
      db = await freshDatabase('postgres');
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      const lbPort = await freePort();
      publicUrl = `http://127.0.0.1:${lbPort}`;
      const mockPort = await freePort();
      mockUrl = `http://127.0.0.1:${mockPort}`;
      mock = startTsProcess('payments mock', 'apps/gateway/src/payments-mock.ts', {
        PORT: String(mockPort),
        PAYMENTS_API_KEY: apiKey,
        PAYMENTS_WEBHOOK_SECRET: webhookSecret,
        // The provider's notifications come through the balancer, to either instance.
        PAYMENTS_WEBHOOK_URL: `http://127.0.0.1:${lbPort}/payments/webhook`,
        PAYMENTS_MOCK_TICK_MS: '100',
        PAYMENTS_MOCK_SETTLE_MS: '300',
        PAYMENTS_MOCK_RETRY_FIRST_MS: '500',
        PAYMENTS_MOCK_RETRY_MAX_MS: '1000',
      });
      await until(
        async () =>
          (await fetch(`${mockUrl}/_mock/state`, { headers: { authorization: `Bearer ${apiKey}` } })).ok,
        'the payment mock',
      );
      await startGateway('a', await freePort());
      await startGateway('b', await freePort());
      lb = await startHaproxy(
        [
          { name: 'a', port: gw.a.port },
          { name: 'b', port: gw.b.port },
        ],
        // No retries at the balancer: a request an instance drops would show as a failure.
        { port: lbPort, retries: false },
      );
    }, 180_000);

    afterAll(async () => {
      await Promise.all([gw.a?.process.stop(), gw.b?.process.stop(), mock?.stop(), lb?.stop()]);
      receiver.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const client = (url: string, key: string): LatihClient =>
      createLatihClient({
        baseUrl: url,
        clientId: demo[key]?.clientId ?? '',
        clientSecret: demo[key]?.clientSecret ?? '',
      });

    async function token(url: string, key: string): Promise<string> {
      const res = await fetch(`${url}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: demo[key]?.clientId,
          client_secret: demo[key]?.clientSecret,
        }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    }

    it('a token issued by one instance is accepted by the other, and the balancer spreads requests over both', async () => {
      const t = await token(gw.a.url, 'provider-a');
      const res = await fetch(`${gw.b.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${t}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { clientId: string }).clientId).toBe(demo['provider-a']?.clientId);
      const answered = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`${lb.url}/v1/auth/whoami`, { headers: { authorization: `Bearer ${t}` } });
        expect(r.status).toBe(200);
        answered.add(String(r.headers.get('x-request-id')));
      }
      expect(answered.size).toBe(10);
      // Both instances logged some of them.
      const servedBy = (p: RunningProcess) =>
        p.logs().filter((l) => l.msg === 'request' && l.path === '/v1/auth/whoami').length;
      expect(servedBy(gw.a.process)).toBeGreaterThan(0);
      expect(servedBy(gw.b.process)).toBeGreaterThan(0);
      // The access log names the client (haproxy's X-Forwarded-For, trusted from loopback), not a hop.
      const forwarded = await fetch(`${lb.url}/v1/auth/whoami`, {
        headers: { authorization: `Bearer ${t}`, 'x-forwarded-for': '198.51.100.7' },
      });
      const id = forwarded.headers.get('x-request-id');
      await until(
        async () => [...gw.a.process.logs(), ...gw.b.process.logs()].some((l) => l.requestId === id),
        'the request in a log',
      );
      const line = [...gw.a.process.logs(), ...gw.b.process.logs()].find((l) => l.requestId === id);
      expect(line?.ip).toBe('198.51.100.7');
    });

    it('a rate limit is shared: failed token requests spread over both instances count once, together', async () => {
      const clientId = demo['platform-b']?.clientId ?? '';
      const servedTokens = (p: RunningProcess) =>
        p.logs().filter((l) => l.msg === 'request' && l.path === '/v1/oauth/token').length;
      const before = { a: servedTokens(gw.a.process), b: servedTokens(gw.b.process) };
      const statuses: number[] = [];
      const retryAfter: (string | null)[] = [];
      for (let i = 0; i < 9; i++) {
        const res = await fetch(`${lb.url}/v1/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: `wrong-${i}`,
          }),
        });
        statuses.push(res.status);
        retryAfter.push(res.headers.get('retry-after'));
        if (res.status === 429) expect(((await res.json()) as { error: string }).error).toBe('rate_limited');
        else await res.arrayBuffer();
      }
      // Six failures allowed in all (RATE_LIMIT_TOKEN_FAILURES=6/600), not six per instance.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429]);
      expect(Number(retryAfter[6])).toBeGreaterThan(0);
      // Both instances answered some of them: each saw fewer than six, yet the seventh was refused.
      expect(servedTokens(gw.a.process) - before.a).toBeGreaterThan(0);
      expect(servedTokens(gw.b.process) - before.b).toBeGreaterThan(0);
      // The right secret, from the same address, is refused too until the window ends.
      const right = await fetch(`${gw.a.url}/v1/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: demo['platform-b']?.clientSecret,
        }),
      });
      expect(right.status).toBe(429);
    });

    it('each scheduled job’s effect happens once: vouchers expire once, the day is settled and paid once, each event is delivered once', async () => {
      const viaLb = (key: string) => client(lb.url, key);
      const platform = viaLb('platform-a').platform;
      await platform.webhooks.create.mutate({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/latih`,
        eventTypes: ['voucher.expired', 'settlement.created'],
      });
      // Three vouchers for the demo webinar, bought on instance A (its development OTP inbox).
      const a = client(gw.a.url, 'platform-a').platform;
      const webinar = (await platform.catalog.list.query({ mode: 'WEBINAR' })).items[0];
      const run = webinar?.runs[0];
      if (!webinar || !run) throw new Error('the demo webinar is not on sale');
      const sold: string[] = [];
      for (const card of ['5101000000000001', '5101000000000002', '5101000000000003']) {
        const c = await a.checkout.create.mutate({ cardNumber: card, courseId: webinar.id, runId: run.id });
        const { code } = (await (await fetch(`${gw.a.url}/dev/otp/${c.id}`)).json()) as { code: string };
        sold.push((await a.checkout.confirm.mutate({ id: c.id, code })).voucher.id);
      }
      // A 2020 participant buys the self-paced course; provider B redeems it (payable on redemption).
      const [p20] = (
        await viaLb('pmo').pmo.participants.import.mutate({
          cohort: 8,
          schemeId: 'PRAKERJA_2020',
          items: [
            {
              nik: '3273011708950888',
              cardNumber: '7000000000000888',
              name: 'Peserta Gelombang 8',
              gender: 'M',
              birthDate: '1995-08-17',
              regencyCode: '32.73',
            },
          ],
        })
      ).results;
      expect(p20?.status).toBe('CREATED');
      const selfPaced = (await platform.catalog.list.query({ mode: 'SELF_PACED' })).items[0];
      if (!selfPaced) throw new Error('the demo self-paced course is not on sale');
      const c2 = await a.checkout.create.mutate({ cardNumber: '7000000000000888', courseId: selfPaced.id });
      const { code: otp2 } = (await (await fetch(`${gw.a.url}/dev/otp/${c2.id}`)).json()) as { code: string };
      const bought = await a.checkout.confirm.mutate({ id: c2.id, code: otp2 });
      await viaLb('provider-b').provider.vouchers.redeem.mutate({
        code: bought.code,
        courseId: selfPaced.id,
      });
      const bank = (n: string) => ({
        destination: {
          kind: 'bank' as const,
          bankCode: '009',
          accountNumber: `00123${n}`,
          holderName: 'Penerima',
        },
      });
      await viaLb('provider-b').provider.payoutAccount.set.mutate(bank('5151'));
      await platform.payoutAccount.set.mutate(bank('5252'));

      // Past the webinar's window (ten days on, so also past the next day's 01:00 WIB batch).
      const pmo = viaLb('pmo');
      await pmo.sandbox.clock.advance.mutate({
        to: new Date(Date.parse(run.startsAt) + 61 * 60_000).toISOString(),
      });
      await until(async () => (await pmo.sandbox.clock.get.query()).status === 'READY', 'READY', 90_000);

      // Expired by the catch-up. Under a loaded CI machine one run saw them still ISSUED right at READY
      // (not reproduced in isolation): wait for it a bounded time, so what is asserted here stays the
      // effect happening once; READY's own promise is the sandbox-clock suites' (follow-up noted).
      await until(
        async () =>
          (await Promise.all(sold.map((id) => platform.vouchers.get.query({ id })))).every(
            (v) => v.status === 'EXPIRED',
          ),
        'the sold vouchers expired',
        20_000,
      );
      for (const id of sold) expect((await platform.vouchers.get.query({ id })).status).toBe('EXPIRED');
      const expiries = await execRows<{ reference: string; n: number }>(
        db.db,
        sql`select reference, count(*)::int as n from ledger_transactions where kind = 'VOUCHER_EXPIRY' group by reference`,
      );
      expect(expiries.map((e) => e.n)).toEqual([1, 1, 1]);
      expect(new Set(expiries.map((e) => e.reference))).toEqual(new Set(sold));
      const expiredEvents = await execRows<{ entity_id: string; n: number }>(
        db.db,
        sql`select entity_id, count(*)::int as n from events where type = 'voucher.expired' group by entity_id`,
      );
      expect(expiredEvents.map((e) => e.n)).toEqual([1, 1, 1]);

      // One batch for the day, one settlement per organisation, each paid with one payout.
      // (The instances' first runs made yesterday's batch, empty, at start: one batch per day.)
      const batches = await db.db.select().from(schema.settlementBatches);
      expect(new Set(batches.map((b) => b.date)).size).toBe(batches.length);
      expect(batches.filter((b) => b.itemCount > 0)).toHaveLength(1);
      const provider = viaLb('provider-b').provider;
      await until(
        async () => (await provider.settlements.list.query({})).items[0]?.status === 'PAID',
        'the settlement to be paid',
      );
      const settlements = await db.db.select().from(schema.settlements);
      const byOrg = new Map<string, number>();
      for (const s of settlements) byOrg.set(s.organisationId, (byOrg.get(s.organisationId) ?? 0) + 1);
      expect([...byOrg.values()].every((n) => n === 1)).toBe(true);
      const state = (await (
        await fetch(`${mockUrl}/_mock/state?limit=200`, { headers: { authorization: `Bearer ${apiKey}` } })
      ).json()) as { counts: { payouts: Record<string, number> } };
      const payouts = Object.values(state.counts.payouts).reduce((x, y) => x + y, 0);
      expect(payouts).toBe(settlements.filter((s) => s.providerPayoutId !== null).length);

      // Every event the platform asked for arrived once (two instances deliver; neither twice).
      const wanted = await execRows<{ id: string }>(
        db.db,
        sql`select id from events where organisation_id = ${demo['platform-a']?.id ?? ''}
              and type in ('voucher.expired', 'settlement.created')`,
      );
      await until(async () => wanted.every((w) => deliveries.includes(w.id)), 'every delivery');
      await new Promise((r) => setTimeout(r, 1_000));
      const counts = new Map<string, number>();
      for (const d of deliveries) counts.set(d, (counts.get(d) ?? 0) + 1);
      expect(wanted.map((w) => counts.get(w.id))).toEqual(wanted.map(() => 1));
    }, 180_000);

    it('an instance stopped with SIGTERM in the middle of load loses no request, and leaves no lease behind', async () => {
      const provider = await token(lb.url, 'provider-a');
      const platform = await token(lb.url, 'platform-a');
      const results: { kind: 'read' | 'create'; status: number | 'network' }[] = [];
      let created = 0;
      let n = 0;
      // The load runs until told to stop: before, while and after instance A stops.
      let running = true;
      const marker = `LB ${randomBytes(3).toString('hex')}`;
      const worker = async () => {
        while (running) {
          const i = n++;
          const kind = i % 2 === 0 ? 'read' : 'create';
          try {
            const res =
              kind === 'read'
                ? await fetch(`${lb.url}/v1/platform/catalog/courses?limit=5`, {
                    headers: { authorization: `Bearer ${platform}` },
                  })
                : await fetch(`${lb.url}/v1/provider/courses`, {
                    method: 'POST',
                    headers: {
                      authorization: `Bearer ${provider}`,
                      'content-type': 'application/json',
                      'idempotency-key': `lb-${marker.slice(3)}-${i}`,
                    },
                    body: JSON.stringify({
                      title: `${marker} ${i}`,
                      summary: 'Kursus uji beban',
                      category: 'digital-marketing',
                      mode: 'WEBINAR',
                      hours: 16,
                      price: 1_000_000,
                    }),
                  });
            await res.arrayBuffer();
            results.push({ kind, status: res.status });
            if (kind === 'create' && res.status === 200) created++;
          } catch {
            results.push({ kind, status: 'network' });
          }
        }
      };
      const aInstance = gw.a.process.logs().find((l) => l.msg === 'running the schedule in this process')
        ?.instance as string | undefined;
      const servedByA = () =>
        gw.a.process.logs().filter((l) => l.msg === 'request' && String(l.path).startsWith('/v1/')).length;
      const load = Promise.all(Array.from({ length: 8 }, worker));
      // Some load on both instances first, then SIGTERM to A while the load goes on.
      await until(
        async () => results.length >= 60 && servedByA() >= 10,
        'load on both instances',
        60_000,
        20,
      );
      const exited = gw.a.process.stop(30_000);
      const code = await exited;
      const atExit = results.length;
      // And on after A is gone, through B alone.
      await until(async () => results.length >= atExit + 60, 'load after A stopped', 60_000, 20);
      running = false;
      await load;

      const failures = results.filter(
        (r) => r.status === 'network' || (typeof r.status === 'number' && r.status >= 500),
      );
      if (failures.length > 0) console.log(lb.process.lines.join('\n'));
      expect(failures, JSON.stringify(failures.slice(0, 5))).toEqual([]);
      const statuses = new Map<string, number>();
      for (const r of results)
        statuses.set(`${r.kind} ${r.status}`, (statuses.get(`${r.kind} ${r.status}`) ?? 0) + 1);
      expect(
        results.every((r) => r.status === 200),
        JSON.stringify([...statuses]),
      ).toBe(true);
      expect(servedByA()).toBeGreaterThan(10);
      // Each accepted create is there once (and no create was done twice by a retry).
      const [count] = await execRows<{ n: number }>(
        db.db,
        sql`select count(*)::int as n from courses where title like ${`${marker} %`}`,
      );
      expect(count?.n).toBe(created);
      // A stopped cleanly, served part of the load before, and left nothing held.
      expect(code).toBe(0);
      expect(gw.a.process.logs().some((l) => l.msg === 'stopped')).toBe(true);
      expect(aInstance).toBeDefined();
      const leases = await db.db
        .select()
        .from(schema.jobRuns)
        .where(eq(schema.jobRuns.leaseOwner, aInstance ?? ''));
      expect(leases).toEqual([]);
      const alive = await db.db
        .select()
        .from(schema.jobInstances)
        .where(eq(schema.jobInstances.id, aInstance ?? ''));
      expect(alive).toEqual([]);
      // B goes on alone.
      expect((await fetch(`${lb.url}/healthz`)).status).toBe(200);
    }, 120_000);

    it("the program's integration protocol across both instances: one sign key, one commit wins, one enrollment", async () => {
      // A back (the test above stopped it; a no-op when it runs alone): both instances open the sign
      // key sealed by either.
      await gw.a.process.stop();
      await startGateway('a', await freePort());
      const pmoToken = await token(gw.b.url, 'pmo');
      const providerId = demo['provider-b']?.id ?? '';
      const issued = (await (
        await fetch(`${gw.b.url}/v1/pmo/organisations/${providerId}/integration`, {
          method: 'POST',
          headers: { authorization: `Bearer ${pmoToken}`, 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { clientCode: string; signKey: string };
      const provider = client(gw.a.url, 'provider-b');
      const course = (await provider.provider.courses.list.query({ limit: 50 })).items.find(
        (c) => c.externalId === 'DEMO-PEMASARAN-DIGITAL',
      );
      const { codes } = await provider.sandbox.testCodes.issue.mutate({ courseId: course?.id ?? '' });
      const code = codes[0]?.code ?? '';
      const commit = async (url: string) => {
        const path = '/api/v1/integration/payment/redeem-code/commit';
        const body = JSON.stringify({ redeem_code: code });
        const timestamp = String(Math.round(Date.now() / 1000));
        const signature = createHmac('sha1', issued.signKey)
          .update(`${issued.clientCode}${timestamp}POST${path}${body}`)
          .digest('hex');
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            client_code: issued.clientCode,
            timestamp,
            signature,
          },
          body,
        });
        const answer = (await res.json()) as { success: boolean; code?: string };
        return answer.success ? 'OK' : (answer.code ?? 'REFUSED');
      };
      const sdk = client(lb.url, 'provider-b');
      const results = await Promise.all([
        ...Array.from({ length: 15 }, () => commit(gw.a.url)),
        ...Array.from({ length: 15 }, () => commit(gw.b.url)),
        ...Array.from({ length: 10 }, () =>
          sdk.provider.vouchers.redeem.mutate({ code, courseId: course?.id ?? '' }).then(
            () => 'OK',
            () => 'REFUSED',
          ),
        ),
      ]);
      expect(results.filter((r) => r === 'OK')).toHaveLength(1);
      // Every other protocol call was signed right on either instance and lost the race, nothing else.
      expect(new Set(results.slice(0, 30).filter((r) => r !== 'OK'))).toEqual(
        new Set(['ERR_VOUCHER_ALREADY_REDEEMED']),
      );
      const [enrollments] = await execRows<{ n: number }>(
        db.db,
        sql`select count(*)::int as n from enrollments where voucher_id = ${codes[0]?.voucherId ?? ''}`,
      );
      expect(enrollments?.n).toBe(1);
      const [events] = await execRows<{ n: number }>(
        db.db,
        sql`select count(*)::int as n from events where type = 'voucher.redeemed' and entity_id = ${codes[0]?.voucherId ?? ''}`,
      );
      expect(events?.n).toBe(1);
    }, 120_000);
  },
);
