import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOG_VIEW_VERSION, DEMO_ORGANISATIONS } from '@latih/core';
import { execRows, schema } from '@latih/db';
import { createLatihClient, type LatihClient, verifyWebhook } from '@latih/sdk';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';

/**
 * Latih as deployed, over weeks of program time: two real gateway processes on one PostgreSQL
 * database and the development payment provider in a process of its own, the sandbox clock moved
 * forward through the API, and nothing called by hand: every effect below is a scheduled job's,
 * run by the gateways on their own. One gateway is killed and restarted on the way.
 */
describe.runIf(postgresAvailable())(
  'over time, as deployed: two gateways, a payment provider, the sandbox clock',
  () => {
    const apiKey = `sk_test_${randomBytes(8).toString('hex')}`;
    const webhookSecret = `whsec_${randomBytes(12).toString('hex')}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'latih-over-time-'));
    let db: TestDatabase;
    let mock: RunningProcess;
    let mockUrl = '';
    let portA = 0;
    let a: RunningProcess;
    let b: RunningProcess;
    let urlA = '';
    let urlB = '';
    const demo = Object.fromEntries(DEMO_ORGANISATIONS.map((o) => [o.key, o]));

    const gatewayEnv = (port: number): NodeJS.ProcessEnv => ({
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      // Shared: the signing key and the NIK key are generated once in it by the first gateway.
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      PAYMENTS_BASE_URL: mockUrl,
      PAYMENTS_API_KEY: apiKey,
      PAYMENTS_WEBHOOK_SECRET: webhookSecret,
      // Quicker than production, so that the test waits seconds, not minutes.
      JOB_INTERVALS: 'payouts.pay=300,webhooks.deliver=200',
      // The platform's webhook receiver below is on 127.0.0.1 (as npm start allows it).
      WEBHOOKS_ALLOW_PRIVATE: 'true',
    });

    async function startGatewayProcess(name: string, port: number): Promise<RunningProcess> {
      const p = startTsProcess(name, 'apps/gateway/src/main.ts', gatewayEnv(port));
      await waitForHttp(p, `http://127.0.0.1:${port}/readyz`);
      return p;
    }

    beforeAll(async () => {
      db = await freshDatabase('postgres');
      const mockPort = await freePort();
      mockUrl = `http://127.0.0.1:${mockPort}`;
      portA = await freePort();
      urlA = `http://127.0.0.1:${portA}`;
      mock = startTsProcess('payments mock', 'apps/gateway/src/payments-mock.ts', {
        PORT: String(mockPort),
        PAYMENTS_API_KEY: apiKey,
        PAYMENTS_WEBHOOK_SECRET: webhookSecret,
        // The provider's notifications go to gateway A (behind a balancer they would go to either).
        PAYMENTS_WEBHOOK_URL: `${urlA}/payments/webhook`,
        PAYMENTS_MOCK_TICK_MS: '100',
        PAYMENTS_MOCK_SETTLE_MS: '300',
        PAYMENTS_MOCK_RETRY_FIRST_MS: '500',
        PAYMENTS_MOCK_RETRY_MAX_MS: '1000',
      });
      await until(async () => {
        const res = await fetch(`${mockUrl}/_mock/state`, { headers: { authorization: `Bearer ${apiKey}` } });
        return res.ok;
      }, 'the payment mock to listen');
      a = await startGatewayProcess('gateway A', portA);
      const portB = await freePort();
      urlB = `http://127.0.0.1:${portB}`;
      b = await startGatewayProcess('gateway B', portB);
    }, 120_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop(), mock?.stop()]);
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const client = (url: string, key: string): LatihClient =>
      createLatihClient({
        baseUrl: url,
        clientId: demo[key]?.clientId ?? '',
        clientSecret: demo[key]?.clientSecret ?? '',
      });

    async function clockOf(url: string) {
      return client(url, 'pmo').sandbox.clock.get.query();
    }

    /** Moves the sandbox clock through one gateway and waits until the schedule caught up (READY). */
    async function advance(url: string, input: { to: string } | { seconds: number }) {
      const moved = await client(url, 'pmo').sandbox.clock.advance.mutate(input);
      expect(moved.status).toBe('ADVANCING');
      await until(async () => (await clockOf(url)).status === 'READY', 'the clock to be READY', 90_000);
      return moved;
    }

    async function otp(url: string, checkoutId: string): Promise<string> {
      const res = await fetch(`${url}/dev/otp/${checkoutId}`);
      return ((await res.json()) as { code: string }).code;
    }

    async function balanceOf(cardNumber: string): Promise<number> {
      const [row] = await db.db
        .select({ balance: schema.participants.balance })
        .from(schema.participants)
        .where(eq(schema.participants.cardNumber, cardNumber));
      return row?.balance ?? -1;
    }

    async function mockFaults(body: Record<string, unknown>) {
      const res = await fetch(`${mockUrl}/_mock/faults`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    }

    async function state() {
      const res = await fetch(`${mockUrl}/_mock/state?limit=200`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      return (await res.json()) as {
        events: { type: string; payoutId: string; delivery: { state: string; attempts: number } | null }[];
      };
    }

    async function booksBalance() {
      const [sum] = await execRows<{ total: string }>(
        db.db,
        sql`select coalesce(sum(amount), 0)::text as total from ledger_entries`,
      );
      expect(sum?.total).toBe('0');
    }

    it('every job does its work on its own as the clock moves: expiry, settlement, incentives, reconciliation, clean-up', async () => {
      const platform = client(urlA, 'platform-a');
      const providerB = client(urlB, 'provider-b');
      const pmo = client(urlB, 'pmo');

      // A platform receives its events over a webhook, signed in real time whatever the clock says.
      const received: { header: string; body: string }[] = [];
      const hook = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({
            header: String(req.headers['latih-signature']),
            body: Buffer.concat(chunks).toString(),
          });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      const { secret } = await platform.platform.webhooks.create.mutate({
        url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/latih`,
        eventTypes: ['voucher.expired'],
      });

      // 1. A voucher for the demo webinar, never redeemed. The checkout is made with a known key.
      const webinar = (await platform.platform.catalog.list.query({ mode: 'WEBINAR' })).items[0];
      const run = webinar?.runs[0];
      if (!webinar || !run) throw new Error('the demo webinar is not on sale');
      const key = `order-${randomBytes(6).toString('hex')}`;
      const checkout = await platform.platform.checkout.create.mutate(
        { cardNumber: '5101000000000001', courseId: webinar.id, runId: run.id },
        { context: { idempotencyKey: key } },
      );
      const sold = await platform.platform.checkout.confirm.mutate({
        id: checkout.id,
        code: await otp(urlA, checkout.id),
      });
      expect(await balanceOf('5101000000000001')).toBe(3_500_000 - webinar.price);
      const seats = async () =>
        (await client(urlA, 'provider-a').provider.runs.get.query({ id: run.id })).seatsTaken;
      expect(await seats()).toBe(1);

      // 2. A 2020-scheme participant buys the self-paced course; provider B redeems it (payable on
      // redemption), the training is completed and reviewed: an incentive of 4 × Rp600.000 follows.
      const [imported] = (
        await pmo.pmo.participants.import.mutate({
          cohort: 7,
          schemeId: 'PRAKERJA_2020',
          items: [
            {
              nik: '3273011708950777',
              cardNumber: '7000000000000777',
              name: 'Peserta Gelombang 7',
              gender: 'M',
              birthDate: '1995-08-17',
              regencyCode: '32.73',
            },
          ],
        })
      ).results;
      const participantId = imported?.participantId ?? '';
      expect(imported?.status, JSON.stringify(imported)).toBe('CREATED');
      const selfPaced = (await platform.platform.catalog.list.query({ mode: 'SELF_PACED' })).items[0];
      if (!selfPaced) throw new Error('the demo self-paced course is not on sale');
      const c2 = await platform.platform.checkout.create.mutate({
        cardNumber: '7000000000000777',
        courseId: selfPaced.id,
      });
      const bought = await platform.platform.checkout.confirm.mutate({
        id: c2.id,
        code: await otp(urlA, c2.id),
      });
      const enrollment = await providerB.provider.vouchers.redeem.mutate({
        code: bought.code,
        courseId: selfPaced.id,
      });
      await providerB.provider.assignments.submit.mutate({
        enrollmentId: enrollment.id,
        url: 'https://drive.example.id/tugas/kampanye.pdf',
        contentHash: `sha256:${createHash('sha256').update(enrollment.id).digest('hex')}`,
      });
      await providerB.provider.postTests.record.mutate({ enrollmentId: enrollment.id, score: 82 });
      await providerB.provider.completions.report.mutate({
        enrollmentId: enrollment.id,
        outcome: 'COMPLETED',
      });
      await platform.platform.reviews.submit.mutate({
        voucherId: bought.voucher.id,
        rating: 5,
        text: 'Sangat berguna',
      });
      const bank = (n: string) => ({
        destination: {
          kind: 'bank' as const,
          bankCode: '009',
          accountNumber: `00123${n}`,
          holderName: 'Penerima',
        },
      });
      await providerB.provider.payoutAccount.set.mutate(bank('4242'));
      await platform.platform.payoutAccount.set.mutate(bank('4343'));
      await pmo.pmo.participants.setPayoutAccount.mutate({ participantId, ...bank('4444') });

      // 3. Through gateway B, to an hour and a minute after the webinar started: its window closed.
      const windowClosed = new Date(Date.parse(run.startsAt) + 61 * 60_000).toISOString();
      await advance(urlB, { to: windowClosed });
      // Gateway A reads the same clock.
      expect(Date.parse((await clockOf(urlA)).now)).toBeGreaterThanOrEqual(Date.parse(windowClosed));

      // reports.rollups: the sale day, ten days back, is counted although the job never ran between
      // the sales and the clock's jump (it rebuilds every day since its last run, not only yesterday).
      const wibMidnight = (ms: number) => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);
      const saleDay = wibMidnight(Date.parse(bought.voucher.issuedAt));
      const dayAfter = wibMidnight(Date.parse(bought.voucher.issuedAt) + 86_400_000);
      await until(async () => {
        const figures = await providerB.provider.reports.figures.query({ from: saleDay, to: dayAfter });
        return figures.total?.completed === 1 ? figures : undefined;
      }, "the sale day's rollup");
      expect(
        (await providerB.provider.reports.figures.query({ from: saleDay, to: dayAfter })).total,
      ).toMatchObject({ vouchersSold: 1, vouchersRedeemed: 1, completed: 1 });

      // vouchers.expire: expired, refunded, the seat back.
      expect((await platform.platform.vouchers.get.query({ id: sold.voucher.id })).status).toBe('EXPIRED');
      expect(await balanceOf('5101000000000001')).toBe(3_500_000);
      expect(await seats()).toBe(0);
      // webhooks.deliver: the platform heard of it, signed with the real time (it verifies with the
      // default 5-minute tolerance although the program's clock is ten days ahead).
      const heard = await until(
        async () => received.find((r) => r.body.includes(sold.voucher.id)),
        'the webhook',
      );
      expect((await verifyWebhook(heard.body, heard.header, secret)).type).toBe('voucher.expired');

      // settlements.batch + payouts.pay: the redemption's day was settled and paid (provider and platform).
      const statements = await until(async () => {
        const items = (await providerB.provider.settlements.list.query({})).items;
        return items[0]?.status === 'PAID' ? items : undefined;
      }, "provider B's settlement to be paid");
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({ amount: 450_000, itemCount: 1, status: 'PAID' });
      await until(
        async () => (await platform.platform.settlements.list.query({})).items[0]?.status === 'PAID',
        "the platform's commission to be paid",
      );

      // incentives.evaluate + payouts.pay: four instalments, the first due and paid.
      const instalments = async () => (await pmo.pmo.incentives.ofParticipant.query({ participantId })).items;
      await until(async () => (await instalments())[0]?.status === 'PAID', 'the first instalment');
      expect((await instalments()).map((i) => [i.instalment, i.status])).toEqual([
        [1, 'PAID'],
        [2, 'ELIGIBLE'],
        [3, 'ELIGIBLE'],
        [4, 'ELIGIBLE'],
      ]);

      // 4. The provider loses the next notification. A month later (through gateway A), the second
      // instalment is paid out but nobody hears of it.
      await mockFaults({ dropWebhooks: true });
      await advance(urlA, { seconds: 31 * 86_400 });
      await until(
        async () => (await instalments())[1]?.status === 'DISBURSING',
        'the second instalment in transit',
      );
      // Meanwhile everyone's purchase window closed: balances went back to the program's fund.
      expect(await balanceOf('5101000000000001')).toBe(0);
      const expiries = await db.db
        .select()
        .from(schema.ledgerTransactions)
        .where(eq(schema.ledgerTransactions.kind, 'BALANCE_EXPIRY'));
      expect(expiries.length).toBeGreaterThanOrEqual(4);
      // idempotency.cleanup: the checkout's key is gone after its 24 hours.
      const keys = await db.db
        .select()
        .from(schema.idempotencyKeys)
        .where(eq(schema.idempotencyKeys.key, key));
      expect(keys).toEqual([]);
      // catalog.compact: it ran on its own and deleted the changes superseded by a later one of the
      // same course (a change whose successor was still being written waits for the next run).
      const [compact] = await execRows<{ runs: number; deleted: number }>(
        db.db,
        sql`select j.runs::int as runs, coalesce(sum((j.last_summary->>'deleted')::int), 0)::int as deleted
            from job_runs j where j.name = 'catalog.compact' group by j.runs`,
      );
      expect(compact?.runs).toBeGreaterThan(0);
      const [perCourse] = await execRows<{ changes: number; courses: number }>(
        db.db,
        sql`select count(*)::int as changes, count(distinct course_id)::int as courses from catalog_changes`,
      );
      // Near one row per course, though the demo courses and their runs changed many times.
      const [written] = await execRows<{ n: number }>(
        db.db,
        sql`select max(seq)::int as n from catalog_changes`,
      );
      expect(written?.n).toBeGreaterThan((perCourse?.courses ?? 0) * 2);
      expect(perCourse?.changes).toBeLessThanOrEqual((perCourse?.courses ?? 0) + 10);
      // catalog.render: it ran on its own and keeps every course the feed serves stored as the feed
      // shows it, rendered after that course's latest change committed.
      await until(async () => {
        const [stale] = await execRows<{ n: number }>(
          db.db,
          sql`select count(*)::int as n from catalog_changes c
               where c.xid < pg_snapshot_xmin(pg_current_snapshot())
                 and not exists (select 1 from catalog_changes later
                                  where later.course_id = c.course_id and (later.xid, later.seq) > (c.xid, c.seq))
                 and not exists (select 1 from catalog_entries e
                                  where e.course_id = c.course_id and e.rendered_xmin > c.xid
                                    and e.view_version = ${CATALOG_VIEW_VERSION})`,
        );
        return stale?.n === 0;
      }, 'catalog.render to store every course the feed serves');
      const [render] = await execRows<{ runs: number; stored: number }>(
        db.db,
        sql`select (select runs::int from job_runs where name = 'catalog.render') as runs,
                   (select count(*)::int from catalog_entries where kind = 'UPSERT') as stored`,
      );
      expect(render?.runs).toBeGreaterThan(0);
      expect(render?.stored).toBeGreaterThan(0);
      // otp.expire: no pending checkout keeps a code.
      const pending = await db.db
        .select()
        .from(schema.checkouts)
        .where(eq(schema.checkouts.status, 'PENDING'));
      expect(pending).toEqual([]);

      // The provider did pay it; the notification saying so was lost.
      const second = (await instalments())[1]?.payoutId;
      await until(
        async () => (await state()).events.some((e) => e.payoutId === second && e.type === 'payout.paid'),
        'the provider to pay the second instalment',
      );
      expect((await instalments())[1]?.status).toBe('DISBURSING');
      // payouts.reconcile: 15 minutes later the payout is read back and recorded as paid.
      await advance(urlA, { seconds: 15 * 60 });
      await until(
        async () => (await instalments())[1]?.status === 'PAID',
        'the second instalment reconciled',
      );
      await mockFaults({ dropWebhooks: false });

      // 5. Gateway A (the provider's webhook target) crashes. A month later, through gateway B, the
      // third instalment is paid out; the provider cannot reach A and keeps retrying.
      await a.kill();
      await advance(urlB, { seconds: 31 * 86_400 });
      await until(
        async () => (await instalments())[2]?.status === 'DISBURSING',
        'the third instalment in transit',
      );
      await until(
        async () =>
          (await state()).events.some(
            (e) => e.delivery && e.delivery.state !== 'delivered' && e.delivery.attempts >= 2,
          ),
        'the provider to retry a notification',
      );
      expect((await instalments())[2]?.status).toBe('DISBURSING');
      // A comes back: the provider's next retry gets through and the instalment is PAID (no
      // read-back: the program's clock has not moved the 10 minutes reconciliation waits for).
      a = await startGatewayProcess('gateway A (restarted)', portA);
      await until(async () => (await instalments())[2]?.status === 'PAID', 'the resent notification', 60_000);
      // Every notification reached a gateway in the end, but those the provider itself lost.
      await until(async () => {
        const states = new Set(
          (await state()).events.map((e) => e.delivery?.state ?? 'none').filter((x) => x !== 'dropped'),
        );
        return states.size === 1 && states.has('delivered');
      }, 'every notification to be delivered');

      // Nothing was paid twice: one payout per settlement and instalment paid.
      const paidSettlements = await db.db
        .select()
        .from(schema.settlements)
        .where(eq(schema.settlements.status, 'PAID'));
      const paidIncentives = await db.db
        .select()
        .from(schema.incentives)
        .where(and(eq(schema.incentives.participantId, participantId), eq(schema.incentives.status, 'PAID')));
      expect(paidSettlements).toHaveLength(2);
      expect(paidIncentives).toHaveLength(3);
      const payoutIds = [...paidSettlements, ...paidIncentives].map((r) => r.providerPayoutId);
      expect(new Set(payoutIds).size).toBe(payoutIds.length);
      await booksBalance();

      // The operator's view: every job ran, on both gateways, and none is failing now.
      const ready = (await (await fetch(`${urlB}/readyz`)).json()) as {
        jobs: {
          name: string;
          runs: number;
          failures: number;
          lastFailure: string | null;
          lastInstance: string | null;
        }[];
      };
      expect(ready.jobs.map((j) => j.name)).toContain('payouts.reconcile');
      for (const j of ready.jobs) expect(j.runs, j.name).toBeGreaterThan(0);

      // ledger.check ran on its own and found the books whole. A paid settlement whose amount no
      // longer matches its payouts account fails the next run, which /readyz shows (counts only);
      // the run after the repair is clean again.
      type JobView = {
        name: string;
        failures: number;
        lastFailure: string | null;
        lastFailureAt: string | null;
        lastFinishedAt: string | null;
        lastSummary: Record<string, number> | null;
      };
      const ledgerJob = async () => {
        const r = (await (await fetch(`${urlB}/readyz`)).json()) as { jobs: JobView[] };
        const j = r.jobs.find((x) => x.name === 'ledger.check');
        if (!j) throw new Error('no ledger.check in /readyz');
        return j;
      };
      expect(await ledgerJob()).toMatchObject({
        failures: 0,
        lastSummary: {
          unbalancedTransactions: 0,
          balanceMismatches: 0,
          payoutMismatches: 0,
          accountMismatches: 0,
        },
      });
      const settled = paidSettlements[0]?.id ?? '';
      await db.db.execute(sql`update settlements set amount = amount + 1 where id = ${settled}`);
      await advance(urlB, { seconds: 60 });
      await until(async () => (await ledgerJob()).failures > 0, 'ledger.check to find the difference');
      expect((await ledgerJob()).lastFailure).toBe(
        'BooksDiscrepancyError: books check: 1 payouts not where their state says',
      );
      await db.db.execute(sql`update settlements set amount = amount - 1 where id = ${settled}`);
      const failedAt = (await ledgerJob()).lastFailureAt ?? '';
      await advance(urlB, { seconds: 60 });
      await until(async () => {
        const j = await ledgerJob();
        return j.lastFinishedAt !== null && j.lastFinishedAt > failedAt && j.lastFailureAt === failedAt;
      }, 'a clean ledger.check after the repair');
      await booksBalance();
      hook.close();
    }, 300_000);
  },
);
