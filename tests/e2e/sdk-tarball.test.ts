import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bannerText } from '../../apps/gateway/src/banner';
import { sdkVersion } from '../../apps/gateway/src/sdk-tarball';
import { startTestGateway } from '../support/gateway';

// Asynchronous: the gateway answers npm and node from this very process.
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const version = sdkVersion();
const built = readFileSync(join(root, `packages/sdk/dist/latih-sdk-${version}.tgz`));

describe('the gateway serves its own SDK (it is not on the npm registry)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const work = mkdtempSync(join(tmpdir(), 'latih-sdk-install-'));
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('at /sdk/latih-sdk-<version>.tgz, immutable, and the same bytes at latest, never cached', async () => {
    const pinned = await fetch(`${gw.url}/sdk/latih-sdk-${version}.tgz`);
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('content-type')).toBe('application/gzip');
    expect(pinned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await pinned.arrayBuffer()).equals(built)).toBe(true);
    const latest = await fetch(`${gw.url}/sdk/latih-sdk-latest.tgz`);
    expect(latest.status).toBe(200);
    expect(latest.headers.get('cache-control')).toBe('no-cache');
    expect(Buffer.from(await latest.arrayBuffer()).equals(built)).toBe(true);
  });

  it('any other version is a 404 naming the one it has', async () => {
    const other = await fetch(`${gw.url}/sdk/latih-sdk-9.9.9.tgz`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({
      code: 'ROUTE_NOT_FOUND',
      message: expect.stringContaining(`/sdk/latih-sdk-${version}.tgz`),
      docUrl: '/docs/errors/ROUTE_NOT_FOUND',
    });
    expect((await fetch(`${gw.url}/sdk/latih-sdk.zip`)).status).toBe(404);
  });

  it('the line the banner prints installs it in a project outside the monorepo, and a call works', async () => {
    const line = bannerText(gw.url)
      .split('\n')
      .find((l) => l.startsWith('Or with the SDK'));
    const url = /\(npm i (\S+)\):$/.exec(line ?? '')?.[1];
    expect(url).toBe(`${gw.url}/sdk/latih-sdk-${version}.tgz`);

    writeFileSync(
      join(work, 'package.json'),
      JSON.stringify({ name: 'partner', private: true, type: 'module' }),
    );
    await run('npm', ['i', url ?? '', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: work,
    });
    const pkg = JSON.parse(readFileSync(join(work, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies['@latih/sdk']).toBe(url);

    const o = gw.demo['provider-a'];
    const script = `import { createLatihClient, isLatihError } from '@latih/sdk';
const latih = createLatihClient({ baseUrl: process.env.URL, clientId: process.env.ID, clientSecret: process.env.SECRET });
const me = await latih.auth.whoami.query();
const err = await latih.provider.courses.get.query({ id: 'crs_01jw0000000000000000000000' }).catch((e) => e);
console.log(JSON.stringify({ org: me.organisationId, code: isLatihError(err) ? err.code : String(err) }));`;
    writeFileSync(join(work, 'call.mjs'), script);
    const { stdout: out } = await run(process.execPath, ['call.mjs'], {
      cwd: work,
      env: { ...process.env, URL: gw.url, ID: o.clientId, SECRET: o.clientSecret },
    });
    expect(JSON.parse(out)).toEqual({ org: o.id, code: 'NOT_FOUND' });
  }, 180_000);
});
