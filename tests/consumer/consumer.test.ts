import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const sdkDir = join(root, 'packages/sdk');
const work = mkdtempSync(join(tmpdir(), 'latih-consumer-'));
function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_yes: 'true' },
    });
  } catch (err) {
    // Show what the command said (tsc prints its errors on stdout), not only that it failed.
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the published SDK package', () => {
  it('passes publint and attw (ESM + CJS + types resolve in every mode)', () => {
    expect(run('npx', ['--no-install', 'publint', '--strict'], sdkDir)).toMatch(/All good|No issues/i);
    const attw = run('npx', ['--no-install', 'attw', '--pack', '.', '--profile', 'node16'], sdkDir);
    expect(attw).toMatch(/No problems found/);
  });

  it('type-checks a consumer project against the packed tarball with skipLibCheck off', () => {
    run('npm', ['pack', '--pack-destination', work, '--silent'], sdkDir);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const project = join(work, 'project');
    cpSync(join(root, 'tests/consumer/project'), project, {
      recursive: true,
      filter: (p) => !p.includes('node_modules'),
    });
    const pkgPath = join(project, 'package.json');
    writeFileSync(pkgPath, readFileSync(pkgPath, 'utf8').replace('SDK_TARBALL', join(work, tarball ?? '')));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
    // The tarball carries only dist/ and the manifest: no server source leaks into it.
    const files = readdirSync(join(project, 'node_modules/@latih/sdk/dist'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']));
    const dts = readFileSync(join(project, 'node_modules/@latih/sdk/dist/index.d.ts'), 'utf8');
    expect(dts).not.toMatch(/drizzle|pglite|from 'pg'|jsonwebtoken|express|@latih\//);
    // tsc exits non-zero on any error, including a broken @ts-expect-error or expectTypeOf.
    run(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
    // And it loads at run time from both module systems.
    run(
      process.execPath,
      [
        '-e',
        "const s = require('@latih/sdk'); if (typeof s.createLatihClient !== 'function') process.exit(1)",
      ],
      project,
    );
    run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const s = await import('@latih/sdk'); if (typeof s.createLatihClient !== 'function') process.exit(1)",
      ],
      project,
    );
  });
});
