import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ORGANISATIONS } from '@latih/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../support/db';
import { freePort, type RunningProcess, startProcess, waitForHttp } from '../support/processes';

/**
 * The production build (npm run build, docs/adr/0004-production-build.md): apps/gateway/dist is
 * JavaScript that plain `node` runs — no tsx, no TypeScript source, the workspace packages bundled,
 * the migrations, the console and the docs found from there.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'apps/gateway/dist');

/** The compiled entry point as production runs it: plain node, no loader, no NODE_OPTIONS. */
function startCompiled(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): RunningProcess {
  return startProcess(
    name,
    process.execPath,
    ['--enable-source-maps', `apps/gateway/dist/${entry}`, ...args],
    {
      NODE_OPTIONS: undefined,
      DATABASE_URL: undefined,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      ...env,
    },
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** What each module of dist/ imports: static, dynamic and require()d specifiers. */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\b(?:__)?require\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((re) => [...code.matchAll(re)].map((m) => m[1] as string));
}

beforeAll(() => {
  // npm test has built it (scripts/build-cached.ts); this builds it again only if the sources changed
  // since, or when the file runs on its own. The console (read from apps/console/dist) is built when
  // missing, never rebuilt here: other files of the run may be reading the SDK it is built from.
  const targets = existsSync(join(root, 'apps/console/dist/index.html'))
    ? ['gateway']
    : ['sdk', 'console', 'gateway'];
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-cached.ts', ...targets], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`the build failed:\n${build.stdout}\n${build.stderr}`);
}, 300_000);

describe('npm run build: apps/gateway/dist', () => {
  const modules = () =>
    readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(dist, f));

  it('has every production entry point, and imports neither tsx, nor TypeScript, nor a workspace package', () => {
    for (const entry of ['main', 'worker', 'migrate', 'keys-rotate', 'staff', 'payments-mock'])
      expect(existsSync(join(dist, `${entry}.js`)), entry).toBe(true);
    const specifiers = modules().flatMap((f) => importsOf(f).map((s) => ({ file: f, s })));
    expect(specifiers.length).toBeGreaterThan(20);
    expect(specifiers.map((x) => x.s)).toContain('express');
    const bad = specifiers.filter(
      ({ s }) => s === 'tsx' || s.startsWith('tsx/') || /\.[cm]?tsx?$/.test(s) || s.startsWith('@latih/'),
    );
    expect(bad).toEqual([]);
    expect(
      modules()
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n'),
    ).not.toMatch(/["']tsx(\/[^"']*)?["']/);
  });

  it('loads npm packages as the workspace sources do: a version nested in a workspace package is bundled', () => {
    // packages/core has ipaddr.js 2 in its own node_modules while the root has express's ipaddr.js 1:
    // `import 'ipaddr.js'` from dist/ would load the 1.x. Such a package must be bundled from its copy.
    const imported = new Set(modules().flatMap(importsOf));
    const code = modules()
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Only the workspace packages the gateway bundles (the CLI, say, is a program of its own).
    const bundled = new Set(
      modules().flatMap((f) =>
        (JSON.parse(readFileSync(`${f}.map`, 'utf8')) as { sources: string[] }).sources.flatMap((src) => {
          const m = /packages\/([^/]+)\/src\//.exec(resolve(dirname(f), src));
          return m?.[1] ? [m[1]] : [];
        }),
      ),
    );
    expect(bundled).toContain('core');
    const nested = [...bundled].flatMap((pkg) => {
      const dir = join(root, 'packages', pkg, 'node_modules');
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .filter((n) => !n.startsWith('.'))
        .flatMap((n) => (n.startsWith('@') ? readdirSync(join(dir, n)).map((m) => `${n}/${m}`) : [n]))
        .map((name) => ({ pkg, name }));
    });
    for (const { pkg, name } of nested) {
      expect(
        [...imported].filter((s) => s === name || s.startsWith(`${name}/`)),
        `${pkg}: ${name}`,
      ).toEqual([]);
      const sources = filesUnder(join(root, 'packages', pkg, 'src')).map((f) => readFileSync(f, 'utf8'));
      if (sources.some((c) => c.includes(`from '${name}'`)))
        expect(code, `${pkg}: ${name}`).toContain(`packages/${pkg}/node_modules/${name}/`);
    }
  });

  it('carries the migrations, and source maps that point at the TypeScript sources', () => {
    const journal = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    expect(journal(join(dist, 'drizzle')).entries.map((e) => e.tag)).toEqual(
      journal(join(root, 'packages/db/drizzle')).entries.map((e) => e.tag),
    );

    const main = readFileSync(join(dist, 'main.js'), 'utf8');
    expect(main.trimEnd().split('\n').at(-1)).toBe('//# sourceMappingURL=main.js.map');
    const sources = modules().flatMap((f) => {
      const map = JSON.parse(readFileSync(`${f}.map`, 'utf8')) as { sources: string[] };
      return map.sources.map((s) => resolve(dirname(f), s));
    });
    expect(sources).toContain(join(root, 'apps/gateway/src/main.ts'));
    expect(sources).toContain(join(root, 'packages/db/src/client.ts'));
    const ours = sources.filter((s) => !s.includes('/node_modules/'));
    expect(ours.every((s) => s.endsWith('.ts') && existsSync(s))).toBe(true);
  });
});

describe('node apps/gateway/dist/main.js on an empty PGlite data folder', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-compiled-'));
  let gateway: RunningProcess;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = startCompiled('compiled gateway', 'main.js', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
    });
    await waitForHttp(gateway, `${url}/readyz`, 90_000);
  }, 120_000);

  afterAll(async () => {
    const code = await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    // SIGTERM is a clean stop: exit 0.
    expect(code).toBe(0);
  });

  it('migrates from dist/drizzle and is ready', async () => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready' });
    expect(gateway.logs().find((l) => l.msg === 'gateway listening')).toMatchObject({ engine: 'pglite' });
    // The data folder is PGlite's, created by this process.
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);
  });

  it('issues a token to the demo provider and answers whoami with it; a wrong secret is refused', async () => {
    const provider = DEMO_ORGANISATIONS.find((o) => o.key === 'provider-a');
    if (!provider) throw new Error('no demo provider');
    const token = await fetch(`${url}/v1/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: provider.clientId,
        client_secret: provider.clientSecret,
      }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const who = await fetch(`${url}/v1/auth/whoami`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({
      organisationId: provider.id,
      role: 'provider',
      clientId: provider.clientId,
    });

    const wrong = await fetch(`${url}/v1/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: provider.clientId,
        client_secret: `${provider.clientSecret}-wrong`,
      }),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const anonymous = await fetch(`${url}/v1/auth/whoami`);
    expect(anonymous.status).toBe(401);
  });

  it('serves the API reference, the console it finds from dist/, and the SDK tarball (versioned and latest)', async () => {
    const version = (
      JSON.parse(readFileSync(join(root, 'packages/sdk/package.json'), 'utf8')) as { version: string }
    ).version;
    const built = readFileSync(join(root, `packages/sdk/dist/latih-sdk-${version}.tgz`));
    for (const name of [version, 'latest']) {
      const res = await fetch(`${url}/sdk/latih-sdk-${name}.tgz`);
      expect(res.status, name).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(built), name).toBe(true);
    }
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('/v1/provider/courses');
    const consoleIndex = await fetch(`${url}/console/`);
    expect(consoleIndex.status).toBe(200);
    const html = await consoleIndex.text();
    expect(html).toContain('/console/assets/');
    const script = html.match(/src="(\/console\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${url}${script}`)).status).toBe(200);
  });
});

describe.runIf(postgresAvailable())('the compiled migrate, gateway and worker on PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latih-compiled-pg-'));
  let db: TestDatabase;
  let gateway: RunningProcess;
  let worker: RunningProcess;
  let url = '';
  let workerUrl = '';

  beforeAll(async () => {
    db = await freshDatabase('postgres');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), worker?.stop()]);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('dist/migrate.js finds the migrations current; the gateway (JOBS=off) and the worker start and answer /readyz', async () => {
    const migrate = startCompiled('compiled migrate', 'migrate.js', {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
    });
    expect(await migrate.exited).toBe(0);
    expect(migrate.lines.join('\n')).toContain('migrations applied on postgres: current');

    const common = { DATABASE_URL: db.url, DATA_DIR: dataDir, HOST: '127.0.0.1' };
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = startCompiled('compiled gateway (pg)', 'main.js', {
      ...common,
      PORT: String(port),
      JOBS: 'off',
    });
    await waitForHttp(gateway, `${url}/readyz`, 90_000);
    const workerPort = await freePort();
    workerUrl = `http://127.0.0.1:${workerPort}`;
    worker = startCompiled('compiled worker', 'worker.js', { ...common, WORKER_PORT: String(workerPort) });
    await waitForHttp(worker, `${workerUrl}/readyz`, 90_000);

    expect(gateway.logs().find((l) => l.msg === 'gateway listening')).toMatchObject({ engine: 'postgres' });
    const ready = (await (await fetch(`${workerUrl}/readyz`)).json()) as {
      status: string;
      jobs: { name: string; runsHere: boolean }[];
    };
    expect(ready.status).toBe('ready');
    expect(ready.jobs.filter((j) => j.runsHere).map((j) => j.name)).toContain('vouchers.expire');
    expect(await worker.stop()).toBe(0);
  }, 180_000);
});
