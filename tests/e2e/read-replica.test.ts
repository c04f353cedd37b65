import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogChanges, DEMO_ORGANISATIONS } from '@latih/core';
import { type Database, execRows, openPostgres, openReadReplica, type ReadReplica } from '@latih/db';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedCourse } from '../support/catalog-fixtures';
import { feedsCaughtUp } from '../support/feed-horizon';
import { codeOf, makeHarness } from '../support/harness';
import { freePort, type RunningProcess, startTsProcess, until, waitForHttp } from '../support/processes';
import { type ReplicaPair, replicaAvailable, replicaPair } from '../support/replica';

/*
 * Reads on a real PostgreSQL streaming replica (issue 21, must-show 4): a primary and a standby made
 * on this machine with pg_basebackup (tests/support/replica.ts), a gateway process with
 * DATABASE_URL on the primary and DATABASE_READ_URL on the standby. Pausing the standby's replay
 * (pg_wal_replay_pause) freezes what it shows: a read that does not see a write the primary has
 * already answered was served by the standby.
 */
describe.runIf(replicaAvailable())('reads on a streaming replica', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-replica-'));
  const demo = Object.fromEntries(DEMO_ORGANISATIONS.map((o) => [o.key, o]));
  const METRICS_TOKEN = 'm'.repeat(40);
  let pair: ReplicaPair;
  let urls: { primary: string; standby: string };
  let primary: Database;
  let gw: RunningProcess;
  let base = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    pair = await replicaPair();
    urls = await pair.createDatabase('latih');
    primary = await openPostgres(urls.primary, { max: 4, onIdleError: () => undefined });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    gw = startTsProcess('gateway', 'apps/gateway/src/main.ts', {
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: urls.primary,
      DATABASE_READ_URL: urls.standby,
      // Paused replay must not count as lag here: these tests show what the standby serves. The lag
      // rule has its own test below.
      DATABASE_READ_MAX_LAG_MS: '3600000',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      RATE_LIMITS: 'off',
      METRICS_TOKEN,
      // No rollup refresh of its own: the test moves the reports' asOf itself.
      // and no run changes state by itself: the feed test counts the catalog's changes.
      JOB_INTERVALS: 'reports.rollups=0,runs.advance=0',
    });
    await waitForHttp(gw, `${base}/readyz`);
    await until(
      async () => ((await get('/readyz')).body.readReplica as { serving?: boolean } | undefined)?.serving,
      'the gateway reading from the standby',
      30_000,
    );
    for (const key of ['pmo', 'provider-a', 'platform-a']) tokens[key] = await token(key);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await primary?.close();
    pair?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function token(key: string): Promise<string> {
    const res = await fetch(`${base}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: demo[key]?.clientId,
        client_secret: demo[key]?.clientSecret,
      }),
    });
    expect(res.status).toBe(200);
    return String(((await res.json()) as { access_token: string }).access_token);
  }

  async function get(path: string, who?: string) {
    const res = await fetch(`${base}${path}`, {
      headers: who ? { authorization: `Bearer ${tokens[who]}` } : {},
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      body = { text };
    }
    return { status: res.status, body, text };
  }

  async function send(method: string, path: string, who: string, body: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        'content-type': 'application/json',
        'idempotency-key': `replica-${Math.random().toString(36).slice(2)}`,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  type CatalogCourse = { id: string; provider: { id: string }; runs: { id: string; capacity: number }[] };
  type Changes = {
    changes: { type: string; courseId: string }[];
    nextCursor: string;
    hasMore: boolean;
  };

  /** A course of provider A on sale with a run, as the catalog shows it now. */
  async function providerACourseWithRun(): Promise<
    CatalogCourse & { run: { id: string; capacity: number } }
  > {
    const list = await get('/v1/platform/catalog/courses?limit=100', 'platform-a');
    expect(list.status).toBe(200);
    const course = (list.body.items as CatalogCourse[]).find(
      (c) => c.provider.id === demo['provider-a']?.id && c.runs.length > 0,
    );
    if (!course?.runs[0]) throw new Error('the demo catalog has no course of provider A with a run on sale');
    return { ...course, run: course.runs[0] };
  }

  /** The feed from `since` to its end, through the gateway (routed to the standby). */
  async function feedThroughGateway(since: string) {
    const seen: string[] = [];
    let cursor = since;
    for (;;) {
      const r = await get(
        `/v1/platform/catalog/changes?limit=500${cursor ? `&since=${cursor}` : ''}`,
        'platform-a',
      );
      expect(r.status).toBe(200);
      const page = r.body as unknown as Changes;
      seen.push(...page.changes.map((c) => c.courseId));
      cursor = page.nextCursor;
      if (!page.hasMore) return { seen, cursor };
    }
  }

  /** The feed from `since` to its end, as a gateway on the primary serves it (the same core function). */
  async function feedOnPrimary(since: string | undefined) {
    await feedsCaughtUp(primary.db);
    const seen: string[] = [];
    let cursor = since;
    for (;;) {
      const page = await catalogChanges({
        db: primary.db,
        input: { limit: 500, ...(cursor ? { since: cursor } : {}) },
      });
      seen.push(...page.changes.map((c) => c.courseId));
      cursor = page.nextCursor;
      if (!page.hasMore) return { seen, cursor: page.nextCursor };
    }
  }

  const today = new Date().toISOString().slice(0, 10);
  const period = `from=${new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)}&to=${today}`;

  /** Twelve participants in Kota Bandung (province 32): enough for the public statistics to show. */
  function participants(first: number) {
    return Array.from({ length: 12 }, (_, i) => {
      const serial = first + i;
      const gender = serial % 2 === 0 ? 'F' : 'M';
      const day = 17 + (gender === 'F' ? 40 : 0);
      return {
        nik: `327301${day}0895${String(serial).padStart(4, '0')}`,
        cardNumber: `7${String(serial).padStart(15, '0')}`,
        name: `Peserta Replika ${serial}`,
        gender,
        birthDate: '1995-08-17',
        regencyCode: '32.73',
      };
    });
  }

  const province32 = (stats: Record<string, unknown>) =>
    (stats.rows as { key: string; participants: number | null }[]).find((r) => r.key === '32')
      ?.participants ?? 0;

  it('serves the catalog, reports, statistics and exports from the standby; writes and their own reads stay on the primary', async () => {
    await pair.standby.caughtUp();
    const course = await providerACourseWithRun();
    const reportBefore = await get(`/v1/pmo/reports/providers?${period}`, 'pmo');
    expect(reportBefore.status).toBe(200);
    const statsBefore = await get('/v1/pmo/statistics?dimension=province', 'pmo');
    expect(statsBefore.status).toBe(200);
    const feedEnd = (await feedThroughGateway('')).cursor;

    await pair.standby.pauseReplay();
    try {
      // Writes, answered by the primary.
      const capacity = course.run.capacity + 7;
      const updated = await send('PATCH', `/v1/provider/runs/${course.run.id}`, 'provider-a', { capacity });
      expect(updated.status).toBe(200);
      expect(updated.body.capacity).toBe(capacity);
      const imported = await send('POST', '/v1/pmo/participants/import', 'pmo', {
        cohort: 77,
        items: participants(1),
      });
      expect(imported.status).toBe(200);
      expect((imported.body.summary as { created: number }).created).toBe(12);
      const rebuilt = await send('POST', '/v1/pmo/reports/rebuild', 'pmo', { from: today, to: today });
      expect(rebuilt.status).toBe(200);
      const [refresh] = await execRows<{ at: string }>(
        primary.db,
        sql`select refreshed_at::text as at from report_refreshes where id = 'last'`,
      );

      // The provider's own run (a write path's read) is on the primary: the new capacity at once.
      const own = await get(`/v1/provider/runs/${course.run.id}`, 'provider-a');
      expect(own.body.capacity).toBe(capacity);
      // The audit log through the JSON API (primary) has the change...
      const audit = await get(`/v1/pmo/audit?entityId=${course.run.id}`, 'pmo');
      expect((audit.body.items as { action: string }[]).map((a) => a.action)).toContain('run.updated');

      // ...while everything routed to the replica still shows the standby's frozen state.
      const got = await get(`/v1/platform/catalog/courses/${course.id}`, 'platform-a');
      expect((got.body as unknown as CatalogCourse).runs.find((r) => r.id === course.run.id)?.capacity).toBe(
        course.run.capacity,
      );
      const listed = (await providerACourseWithRun()).runs.find((r) => r.id === course.run.id);
      expect(listed?.capacity).toBe(course.run.capacity);
      const feed = await get(`/v1/platform/catalog/changes?since=${feedEnd}`, 'platform-a');
      expect(feed.body).toMatchObject({ changes: [], nextCursor: feedEnd, hasMore: false });
      const report = await get(`/v1/pmo/reports/providers?${period}`, 'pmo');
      expect(report.body.asOf).toBe(reportBefore.body.asOf);
      expect(report.body.asOf).not.toBe(refresh ? new Date(refresh.at).toISOString() : null);
      const figures = await get(`/v1/provider/reports/figures?${period}`, 'provider-a');
      expect(figures.status).toBe(200);
      expect(figures.body.asOf).toBe(reportBefore.body.asOf);
      const stats = await get('/v1/pmo/statistics?dimension=province', 'pmo');
      expect(province32(stats.body)).toBe(province32(statsBefore.body));
      // The public statistics (first asked now: nothing cached) total what the standby holds.
      const open = await get('/v1/public/statistics?dimension=province');
      expect(open.status).toBe(200);
      const totalBefore = Number((statsBefore.body.totals as { participants: number }).participants);
      expect((open.body.totals as { participants: number | null }).participants).toBe(
        totalBefore >= 10 ? totalBefore : null,
      );
      // CSV exports: every page on the replica, the audit log's too.
      const auditCsv = await get('/v1/pmo/exports/audit.csv', 'pmo');
      expect(auditCsv.status).toBe(200);
      expect(auditCsv.text).toContain(`run.opened,run,${course.run.id}`);
      expect(auditCsv.text).not.toContain(`run.updated,run,${course.run.id}`);
      const statsCsv = await get('/v1/pmo/exports/statistics.csv?dimension=province', 'pmo');
      const row32 = statsCsv.text.split('\r\n').find((l) => l.startsWith('32,'));
      expect(Number(row32?.split(',')[2] ?? 0)).toBe(province32(statsBefore.body));
    } finally {
      await pair.standby.resumeReplay();
    }

    // Replayed: the replica shows it all.
    await pair.standby.caughtUp();
    const after = await get(`/v1/platform/catalog/courses/${course.id}`, 'platform-a');
    expect((after.body as unknown as CatalogCourse).runs.find((r) => r.id === course.run.id)?.capacity).toBe(
      course.run.capacity + 7,
    );
    const [refresh] = await execRows<{ at: string }>(
      primary.db,
      sql`select refreshed_at::text as at from report_refreshes where id = 'last'`,
    );
    expect((await get(`/v1/pmo/reports/providers?${period}`, 'pmo')).body.asOf).toBe(
      refresh ? new Date(refresh.at).toISOString() : null,
    );
    const stats = await get('/v1/pmo/statistics?dimension=province', 'pmo');
    expect(province32(stats.body)).toBe(province32(statsBefore.body) + 12);
    const auditCsv = await get('/v1/pmo/exports/audit.csv', 'pmo');
    expect(auditCsv.text).toContain(`run.updated,run,${course.run.id}`);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await metrics.text();
    expect(text).toMatch(/latih_read_replica_serving 1/);
    expect(
      Number(/latih_read_replica_reads_total\{target="replica",reason=""\} (\d+)/.exec(text)?.[1]),
    ).toBeGreaterThan(10);
  });

  it('keeps the feed’s no-miss guarantee across a lagging replica: a cursor from the primary is answered with nothing new, then with exactly what followed it', async () => {
    await pair.standby.caughtUp();
    const c0 = (await feedOnPrimary(undefined)).cursor;
    // Runs of three different courses on sale (each change is its course's upsert in the feed).
    const runs = await execRows<{ id: string; course_id: string }>(
      primary.db,
      sql`select distinct on (r.course_id) r.id, r.course_id from runs r join courses c on c.id = r.course_id
           where c.status = 'PUBLISHED' and r.status in ('OPEN', 'FULL')
           order by r.course_id, r.id limit 3`,
    );
    const [a, b, c] = runs;
    if (!a || !b || !c) throw new Error('the demo catalog needs three courses with a run on sale');

    // T1 takes its id first and stays open; T2 takes a later one and commits: out of order.
    const t1 = new pg.Client({ connectionString: urls.primary });
    const t2 = new pg.Client({ connectionString: urls.primary });
    await t1.connect();
    await t2.connect();
    try {
      await t1.query('begin');
      await t1.query('update runs set capacity = capacity + 1 where id = $1', [a.id]);
      await t2.query('begin');
      await t2.query('update runs set capacity = capacity + 1 where id = $1', [b.id]);
      await t2.query('commit');
      // The standby has T2's commit and T1 still running; then it stops replaying.
      await pair.standby.caughtUp();
      await pair.standby.pauseReplay();
      await t1.query('commit');
    } finally {
      await t1.end();
      await t2.end();
    }
    let c1 = '';
    try {
      // The primary serves both, T1's change first (its lower id), and hands out a cursor past them.
      const onPrimary = await feedOnPrimary(c0);
      expect(onPrimary.seen).toEqual([a.course_id, b.course_id]);
      c1 = onPrimary.cursor;

      // The lagging standby, asked from before both: T1 is still running there, so it serves
      // nothing at all (T2's change alone would skip T1's forever) and gives the cursor back.
      expect(await feedThroughGateway(c0)).toEqual({ seen: [], cursor: c0 });
      // Asked with the primary's later cursor: it has nothing past it yet; same cursor back, no repeat.
      expect(await feedThroughGateway(c1)).toEqual({ seen: [], cursor: c1 });

      // One more change on the primary while the standby still lags.
      await primary.db.execute(sql`update runs set capacity = capacity + 1 where id = ${c.id}`);
      const next = await feedOnPrimary(c1);
      expect(next.seen).toEqual([c.course_id]);
      expect(await feedThroughGateway(c1)).toEqual({ seen: [], cursor: c1 });
    } finally {
      await pair.standby.resumeReplay();
    }
    await pair.standby.caughtUp();
    // Caught up: from the primary's cursor, exactly what followed it; from the start, the same order
    // as the primary's, and the cursors agree.
    const fromC1 = await feedThroughGateway(c1);
    expect(fromC1.seen).toEqual([c.course_id]);
    const fromC0 = await feedThroughGateway(c0);
    expect(fromC0.seen).toEqual([a.course_id, b.course_id, c.course_id]);
    expect(fromC0.cursor).toBe((await feedOnPrimary(c0)).cursor);
  });

  it('answers from the primary while the replica is down, says so, and goes back to it when it returns', async () => {
    const course = await providerACourseWithRun();
    pair.standby.stop('fast');
    try {
      // The pool's connections died with the server: the read fails there and the primary answers it.
      const got = await get(`/v1/platform/catalog/courses/${course.id}`, 'platform-a');
      expect(got.status).toBe(200);
      const list = await get('/v1/platform/catalog/courses?limit=5', 'platform-a');
      expect(list.status).toBe(200);
      expect(await feedThroughGateway('')).toMatchObject({ seen: expect.arrayContaining([course.id]) });
      expect((await get('/v1/pmo/statistics?dimension=gender', 'pmo')).status).toBe(200);
      expect((await get(`/v1/pmo/exports/reports/providers.csv?${period}`, 'pmo')).status).toBe(200);
      const ready = await get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.readReplica).toMatchObject({ state: 'down', serving: false });
      expect(gw.logs().some((l) => String(l.msg).startsWith('read replica not serving'))).toBe(true);
      const text = await (
        await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      ).text();
      expect(text).toMatch(/latih_read_replica_serving 0/);
      expect(
        Number(/latih_read_replica_reads_total\{target="primary",reason="down"\} (\d+)/.exec(text)?.[1]),
      ).toBeGreaterThan(0);
    } finally {
      await pair.standby.start();
    }
    await until(
      async () => ((await get('/readyz')).body.readReplica as { serving?: boolean } | undefined)?.serving,
      'the gateway reading from the standby again',
      30_000,
    );
    expect(gw.logs().some((l) => String(l.msg).startsWith('read replica serving'))).toBe(true);
  });

  describe('the lag rule and a failed read (in-process, over the same pair)', () => {
    let replica: ReadReplica;
    let unchecked: ReadReplica;

    afterAll(async () => {
      await replica?.close();
      await unchecked?.close();
    });

    it('answers a read the replica fails (it died since its last check) from the primary, once, and stops sending it reads', async () => {
      const quiet = { info: () => undefined, warn: () => undefined };
      // Checked only when the test says: the read below meets a replica still believed up.
      unchecked = await openReadReplica({
        url: urls.standby,
        primary,
        maxLagMs: 60_000,
        checkEveryMs: 3_600_000,
        log: quiet,
      });
      await pair.standby.caughtUp();
      expect((await unchecked.check()).state).toBe('up');
      const h = await makeHarness(primary);
      h.services.replica = unchecked;
      const platform = h.caller('platformA');
      const first = await platform.platform.catalog.list({ limit: 5 });
      expect(unchecked.status().reads.replica).toBe(1);
      pair.standby.stop('fast');
      try {
        expect(unchecked.status().state).toBe('up');
        const again = await platform.platform.catalog.list({ limit: 5 });
        expect(again.items.map((c) => c.id)).toEqual(first.items.map((c) => c.id));
        expect(unchecked.status()).toMatchObject({ state: 'down', serving: false });
        expect(unchecked.status().reads).toMatchObject({ replica: 1, primary: { error: 1 } });
        // Until a check finds it back, reads go straight to the primary.
        await platform.platform.catalog.list({ limit: 5 });
        expect(unchecked.status().reads.primary.down).toBe(1);
        expect((await unchecked.check()).state).toBe('down');
      } finally {
        await pair.standby.start();
      }
      expect((await unchecked.check()).state).toBe('up');
    });

    it('asks the primary when the replica has not got the record yet (a course published a moment ago)', async () => {
      await pair.standby.caughtUp();
      expect((await unchecked.check()).state).toBe('up');
      const h = await makeHarness(primary);
      h.services.replica = unchecked;
      await pair.standby.pauseReplay();
      try {
        const { course } = await publishedCourse({
          ...h,
          database: { ...primary, drop: async () => undefined },
        });
        const before = unchecked.status().reads;
        const got = await h.caller('platformA').platform.catalog.get({ id: course.id });
        expect(got.id).toBe(course.id);
        expect(unchecked.status().reads.primary['not-found']).toBe(before.primary['not-found'] + 1);
        expect(unchecked.status().reads.replica).toBe(before.replica);
        // A record that exists nowhere is still NOT_FOUND (from the primary).
        const missing = await h
          .caller('platformA')
          .platform.catalog.get({ id: 'crs_01jzzzzzzzzzzzzzzzzzzzzzzz' })
          .catch((e: unknown) => e);
        expect(codeOf(missing)).toBe('NOT_FOUND');
        expect(unchecked.status().state).toBe('up');
      } finally {
        await pair.standby.resumeReplay();
      }
    });

    it('sends the reads to the primary while the replica is further behind than DATABASE_READ_MAX_LAG_MS, and back once it has caught up', async () => {
      const logged: string[] = [];
      const log = {
        info: (_o: object, msg: string) => logged.push(msg),
        warn: (_o: object, msg: string) => logged.push(msg),
      };
      replica = await openReadReplica({ url: urls.standby, primary, maxLagMs: 300, checkEveryMs: 50, log });
      await pair.standby.caughtUp();
      // Caught up, it is judged up; on a loaded machine the first check's lag (from the primary's
      // WAL samples) may still read above the 300 ms limit, so it is asked until it says so.
      await until(async () => (await replica.check()).state === 'up', 'the replica judged up', 20_000, 50);
      const h = await makeHarness(primary);
      h.services.replica = replica;
      const platform = h.caller('platformA');
      const [run] = await execRows<{ id: string; course_id: string; capacity: number }>(
        primary.db,
        sql`select r.id, r.course_id, r.capacity from runs r join courses c on c.id = r.course_id
             where c.status = 'PUBLISHED' and r.status = 'OPEN' order by r.id limit 1`,
      );
      if (!run) throw new Error('no run on sale');
      const capacityOf = async () =>
        (await platform.platform.catalog.get({ id: run.course_id })).runs.find((r) => r.id === run.id)
          ?.capacity;
      await pair.standby.caughtUp();
      const before = await capacityOf();

      await pair.standby.pauseReplay();
      try {
        await primary.db.execute(sql`update runs set capacity = capacity + 3 where id = ${run.id}`);
        // Within the limit the replica still serves, and shows the old capacity.
        if ((await replica.check()).state === 'up') expect(await capacityOf()).toBe(before);
        // The primary writes on (its WAL moves); the paused replica falls behind past 300 ms.
        const status = await until(
          async () => {
            await primary.db.execute(sql`update runs set capacity = capacity where id = ${run.id}`);
            const s = await replica.check();
            return s.state === 'lagging' ? s : undefined;
          },
          'the replica judged lagging',
          20_000,
          50,
        );
        expect(status.lagMs).toBeGreaterThan(300);
        expect(status.serving).toBe(false);
        // Now the primary answers: the new capacity.
        expect(await capacityOf()).toBe((before ?? 0) + 3);
        expect(replica.status().reads.primary.lagging).toBeGreaterThan(0);
        expect(logged.some((m) => m.startsWith('read replica not serving'))).toBe(true);
      } finally {
        await pair.standby.resumeReplay();
      }
      await pair.standby.caughtUp();
      await until(
        async () => (await replica.check()).state === 'up',
        'the replica serving again',
        20_000,
        50,
      );
      const served = replica.status().reads.replica;
      expect(await capacityOf()).toBe((before ?? 0) + 3);
      expect(replica.status().reads.replica).toBe(served + 1);
    });
  });
});
