import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLatihClient, followFeed, type TEvent, verifyWebhook } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedsCaughtUp } from '../support/feed-horizon';
import { startTestGateway } from '../support/gateway';

/**
 * The built `latih` CLI (packages/cli/dist/cli.js, built by `npm test` through build-cached.ts) run
 * as a child process against a real gateway, its configuration in a folder of its own.
 */
const CLI = fileURLToPath(new URL('../../packages/cli/dist/cli.js', import.meta.url));

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;
type Result = { code: number; stdout: string; stderr: string };

// Each test runs the CLI several times (a Node start each, slow on a loaded 2-core machine).
describe('the latih CLI against a sandbox gateway', { timeout: 120_000 }, () => {
  let gw: Gateway;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: npm test builds it (or npm run build -w @latih/cli)`);
    gw = await startTestGateway({ sandbox: {} });
    dir = mkdtempSync(join(tmpdir(), 'latih-cli-'));
    env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') };
    delete env.LATIH_PROFILE; // the profile is the default one unless --profile says otherwise
  });
  afterAll(async () => {
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const latih = (...args: string[]): Promise<Result> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env, cwd: dir }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      });
    });
  const json = (r: Result) => JSON.parse(r.stdout) as Record<string, unknown>;
  const client = (key: keyof Gateway['demo']) =>
    createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo[key].clientId,
      clientSecret: gw.demo[key].clientSecret,
    });
  const loginAs = (key: keyof Gateway['demo'], profile: string) =>
    latih(
      'login',
      '--profile',
      profile,
      '--url',
      gw.url,
      '--client-id',
      gw.demo[key].clientId,
      '--client-secret',
      gw.demo[key].clientSecret,
      '--json',
    );

  it('login verifies the credentials, saves the profile 0600 in a 0700 folder, and refuses a file others may read', async () => {
    const bad = await latih(
      'login',
      '--url',
      gw.url,
      '--client-id',
      gw.demo['provider-a'].clientId,
      '--client-secret',
      'wrong',
      '--json',
    );
    expect(bad.code).toBe(1);
    expect(json(bad).error).toMatchObject({ code: 'CLIENT_AUTH_FAILED' });
    const file = join(dir, 'config', 'latih', 'profiles.json');
    expect(existsSync(file)).toBe(false); // nothing saved for refused credentials

    const ok = await loginAs('provider-a', 'default');
    expect(ok.code).toBe(0);
    expect(json(ok)).toMatchObject({
      profile: 'default',
      role: 'provider',
      clientId: gw.demo['provider-a'].clientId,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config', 'latih')).mode & 0o777).toBe(0o700);
    expect((await loginAs('platform-a', 'shop')).code).toBe(0);

    const me = await latih('whoami', '--json');
    expect(me.code).toBe(0);
    expect(json(me)).toMatchObject({ role: 'provider', organisationId: gw.demo['provider-a'].id });
    const human = await latih('whoami', '--profile', 'shop');
    expect(human.stdout).toContain('(platform)');

    chmodSync(file, 0o644);
    const refused = await latih('whoami', '--json');
    expect(refused.code).toBe(1);
    expect(json(refused).error).toMatchObject({ code: 'PROFILE_FILE_PERMISSIONS' });
    chmodSync(file, 0o600);

    const missing = await latih('whoami', '--profile', 'nobody', '--json');
    expect(missing.code).toBe(1);
    expect(json(missing).error).toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    expect((await latih('logout', '--profile', 'nobody', '--json')).stdout).toContain('"removed":false');
  });

  it('listen forwards every event signed as webhooks are, retries a failing receiver, and resumes from its cursor', async () => {
    const secret = 'whsec_cli_test_secret_0123456789';
    const received: TEvent[] = [];
    const refusals: string[] = [];
    let answers = 0;
    const receiver: Server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      try {
        const event = await verifyWebhook(
          Buffer.concat(chunks),
          req.headers['latih-signature'] as string,
          secret,
        );
        // The first delivery fails once: the CLI must retry it.
        if (answers++ === 0) return void res.writeHead(503).end();
        received.push(event as TEvent);
        res.writeHead(204).end();
      } catch (err) {
        refusals.push(String(err));
        res.writeHead(400).end();
      }
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const forwardTo = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

    const all = async () => {
      const ids: string[] = [];
      for await (const b of followFeed(client('provider-a').events.list, {}))
        ids.push(...b.items.map((e) => e.id));
      return ids;
    };
    const run = async (expected: number) => {
      const child: ChildProcess = spawn(
        process.execPath,
        [
          CLI,
          'listen',
          '--forward-to',
          forwardTo,
          '--secret',
          secret,
          '--backoff',
          '50',
          '--poll-interval',
          '200',
          '--json',
        ],
        { env, cwd: dir },
      );
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
      });
      const lines = () =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { kind: string; ok?: boolean; secret?: string; forwarded?: number });
      await expect
        .poll(() => lines().filter((l) => l.kind === 'event').length, { timeout: 20_000 })
        .toBe(expected);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      return lines();
    };

    await feedsCaughtUp(gw.database.db);
    const before = await all();
    expect(before.length).toBeGreaterThan(5); // the demo catalog's course and run events
    const first = await run(before.length);
    expect(first[0]).toMatchObject({ kind: 'ready', secret });
    expect(first.filter((l) => l.kind === 'event').every((l) => l.ok)).toBe(true);
    expect(first.at(-1)).toMatchObject({ kind: 'stopped', forwarded: before.length });
    expect(refusals).toEqual([]);
    expect(received.map((e) => e.id)).toEqual(before);

    // A new event while it is stopped: the next run forwards it, and only it.
    await client('provider-a').provider.courses.create.mutate({
      title: 'Kursus Baru dari CLI',
      summary: 'Sebuah kursus untuk menguji latih listen',
      category: 'food-processing',
      mode: 'WEBINAR',
      hours: 16,
      price: 500_000,
    });
    await feedsCaughtUp(gw.database.db);
    const second = await run(1);
    expect(second.filter((l) => l.kind === 'event')).toHaveLength(1);
    expect(received.at(-1)?.type).toBe('course.created');
    expect(received.map((e) => e.id)).toEqual(await all());
    await new Promise((r) => receiver.close(r));
  });

  it('courses import reports per row and exits 1 on a bad row; a dry run writes nothing', async () => {
    const good = {
      externalId: 'CLI-IMPORT-1',
      title: 'Dasar Tata Boga Rumahan',
      summary: 'Memasak menu rumahan yang layak jual',
      category: 'food-processing',
      mode: 'WEBINAR',
      hours: 16,
      price: 750_000,
    };
    const file = join(dir, 'courses.json');
    writeFileSync(
      file,
      JSON.stringify([good, { ...good, externalId: 'CLI-IMPORT-2', title: 'Kursus', hours: 'many' }]),
    );
    const provider = client('provider-a');
    const count = async () => (await provider.provider.courses.list.query({ limit: 100 })).items.length;
    const n = await count();

    const dry = await latih('courses', 'import', file, '--dry-run', '--json');
    expect(dry.code).toBe(1);
    const dryReport = json(dry) as {
      dryRun: boolean;
      results: { row: number; status: string; error: { code: string } | null }[];
    };
    expect(dryReport.dryRun).toBe(true);
    expect(dryReport.results.map((r) => [r.row, r.status])).toEqual([
      [1, 'CREATED'],
      [2, 'ERROR'],
    ]);
    expect(await count()).toBe(n);

    const real = await latih('courses', 'import', file);
    expect(real.code).toBe(1);
    expect(real.stdout).toMatch(/row +1 +CREATED +CLI-IMPORT-1 +crs_/);
    expect(real.stdout).toMatch(/row +2 +ERROR +CLI-IMPORT-2 +VALIDATION_FAILED/);
    expect(await count()).toBe(n + 1);

    // A CSV, one course per row (lists split on |, dotted columns nested): all good, exit 0.
    const csv = join(dir, 'courses.csv');
    writeFileSync(
      csv,
      [
        'externalId,title,summary,category,mode,hours,price,learningOutcomes,certificateTemplate.title,certificateTemplate.signatoryName,certificateTemplate.signatoryTitle,certificateTemplate.skills',
        'CLI-CSV-1,Keripik Pisang Lampung,"Mengolah pisang menjadi keripik, ""renyah"" dan tahan lama",food-processing,WEBINAR,16,800000,Memilih pisang|Menggoreng,Sertifikat Keripik,Dra. Wulan Sari,Kepala Lembaga,',
      ].join('\n'),
    );
    const fromCsv = await latih('courses', 'import', csv, '--json');
    expect(fromCsv.code).toBe(0);
    expect(json(fromCsv)).toMatchObject({ summary: { created: 1, error: 0 } });

    const unreadable = await latih('courses', 'import', join(dir, 'nope.json'), '--json');
    expect(unreadable.code).toBe(1);
    expect(json(unreadable).error).toMatchObject({ code: 'FILE_UNREADABLE' });
  });

  it('catalog sync writes the full catalog, then only what changed since its stored cursor', async () => {
    const out = join(dir, 'catalog.jsonl');
    await feedsCaughtUp(gw.database.db);
    // A provider's profile is refused, and nothing is left behind for the platform's run.
    const refused = await latih('catalog', 'sync', '--out', out, '--json');
    expect(refused.code).toBe(1);
    expect(json(refused).error).toMatchObject({ code: 'FORBIDDEN_ROLE' });
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.cursor`)).toBe(false);
    const first = await latih('catalog', 'sync', '--out', out, '--profile', 'shop', '--json');
    expect(first.code).toBe(0);
    const lines = () => readFileSync(out, 'utf8').split('\n').filter(Boolean);
    const full = json(first) as { written: number; resumed: boolean };
    expect(full.resumed).toBe(false);
    expect(full.written).toBeGreaterThanOrEqual(4);
    expect(lines()).toHaveLength(full.written);

    const again = await latih('catalog', 'sync', '--out', out, '--profile', 'shop', '--json');
    expect(json(again)).toMatchObject({ resumed: true, written: 0 });
    expect(lines()).toHaveLength(full.written);

    const [course] = (await client('platform-a').platform.catalog.list.query({ limit: 1 })).items;
    if (!course) throw new Error('the demo catalog is empty');
    await client('pmo').pmo.curation.suspend.mutate({ id: course.id, reason: 'Uji sinkronisasi CLI' });
    await feedsCaughtUp(gw.database.db);
    const third = await latih('catalog', 'sync', '--out', out, '--profile', 'shop');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Resumed: 1 change(s)');
    expect(lines()).toHaveLength(full.written + 1);
    expect(JSON.parse(lines().at(-1) ?? '{}')).toMatchObject({ type: 'TOMBSTONE', courseId: course.id });
  });

  it('clock shows and advances the sandbox clock, waiting for READY; a bad duration is refused', async () => {
    const before = json(await latih('clock', '--json')) as { offsetSeconds: number };
    const moved = await latih('clock', 'advance', '1h30m', '--json');
    expect(moved.code).toBe(0);
    const clock = json(moved) as { status: string; offsetSeconds: number };
    expect(clock.status).toBe('READY');
    expect(clock.offsetSeconds - before.offsetSeconds).toBeGreaterThanOrEqual(5_400);
    const human = await latih('clock');
    expect(human.stdout).toMatch(/Program time .* READY/);

    const bad = await latih('clock', 'advance', '2x', '--json');
    expect(bad.code).toBe(1);
    expect(json(bad).error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const usage = await latih('clock', 'advance', '--json');
    expect(usage.code).toBe(1);
    expect(json(usage).error).toMatchObject({ code: 'USAGE' });
  });

  it("the README's example runs as written", async () => {
    const readme = readFileSync(
      fileURLToPath(new URL('../../packages/cli/README.md', import.meta.url)),
      'utf8',
    );
    const start = readme.indexOf('<!-- example: cli -->');
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
    if (start < 0 || !block) throw new Error('no example in packages/cli/README.md');
    // `latih` on the PATH, as `npm link` or a global install puts it; a fresh configuration folder.
    const home = mkdtempSync(join(dir, 'readme-'));
    mkdirSync(join(home, 'bin'));
    writeFileSync(join(home, 'bin', 'latih'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
      mode: 0o755,
    });
    const output = await new Promise<Result>((resolve) => {
      execFile(
        'bash',
        ['-euo', 'pipefail', '-c', block],
        {
          cwd: home,
          env: {
            ...env,
            PATH: `${join(home, 'bin')}:${process.env.PATH}`,
            XDG_CONFIG_HOME: join(home, 'config'),
            LATIH_URL: gw.url,
            PROVIDER_ID: gw.demo['provider-a'].clientId,
            PROVIDER_SECRET: gw.demo['provider-a'].clientSecret,
            PLATFORM_ID: gw.demo['platform-a'].clientId,
            PLATFORM_SECRET: gw.demo['platform-a'].clientSecret,
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      );
    });
    expect(output.stderr).not.toContain('Error ');
    expect(output.code).toBe(0);
    expect(output.stdout).toContain('Logged in to');
    expect(output.stdout).toMatch(/row +1 +CREATED +TENUN-2027-01/);
    expect(output.stdout).toContain('Dry run, nothing written');
    expect(output.stdout).toMatch(/^1$/m); // one course created by the real import
    expect(output.stdout).toMatch(/Program time .* READY/);
    expect(output.stdout).toMatch(/Full load: \d+ change\(s\)/);
    expect(output.stdout).toContain('Resumed: 0 change(s)');
    expect(readFileSync(join(home, 'catalog.jsonl'), 'utf8')).toMatch(/^\{"type":"UPSERT"/);
  });

  it('logout removes the profile', async () => {
    expect(json(await latih('logout', '--json'))).toMatchObject({ profile: 'default', removed: true });
    expect(json(await latih('whoami', '--json')).error).toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });
});
