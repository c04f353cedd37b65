import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the workspace packages that must be built before the gateway runs (the SDK, the console,
 * the compiled gateway) or its tests do (the latih CLI), each only when its inputs changed since its
 * last build:
 *
 *   node --import tsx scripts/build-cached.ts [--force] sdk console gateway cli
 *
 * A build leaves `.build-stamp` beside the package's dist/: a SHA-256 of its inputs (sources,
 * configuration, package.json, the lockfile, and the workspace sources it inlines) and of the dist/
 * it produced. A later call skips the build, with one line saying so, when both still match; a
 * missing, altered or foreign-built dist/ (a plain `npm run build -w …`) is built again. `--force`
 * builds regardless (npm run build). `npm start`, `npm test` and `npm run typecheck` call it.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

type Target = {
  /** The workspace name, for `npm run build -w`. */
  workspace: string;
  /** The package folder (relative to the root); its dist/ and .build-stamp live there. */
  dir: string;
  /** Files and folders whose content decides the build's output (relative to the root). */
  inputs: string[];
};

const SHARED = ['package-lock.json', 'tsconfig.base.json'];
/** The workspace packages' sources: the gateway bundles them, and the SDK's d.ts inlines their types. */
const SERVER_PACKAGES = ['api', 'contracts', 'core', 'db', 'payments'].flatMap((p) => [
  `packages/${p}/src`,
  `packages/${p}/package.json`,
]);

const TARGETS: Record<string, Target> = {
  sdk: {
    workspace: '@latih/sdk',
    dir: 'packages/sdk',
    inputs: ['packages/sdk', ...SERVER_PACKAGES, ...SHARED],
  },
  console: {
    workspace: '@latih/console',
    dir: 'apps/console',
    // It imports @latih/sdk from its build, and @latih/contracts' values from source.
    inputs: [
      'apps/console',
      'packages/sdk/dist',
      'packages/contracts/src',
      'packages/contracts/package.json',
      ...SHARED,
    ],
  },
  cli: {
    workspace: '@latih/cli',
    dir: 'packages/cli',
    // It imports @latih/sdk from its build, and bundles the webhook signer of @latih/payments.
    inputs: ['packages/cli', 'packages/sdk/dist', 'packages/payments/src/signature.ts', ...SHARED],
  },
  gateway: {
    workspace: '@latih/gateway',
    dir: 'apps/gateway',
    inputs: [
      'apps/gateway/src',
      'apps/gateway/tsup.config.ts',
      'apps/gateway/package.json',
      'packages/db/drizzle',
      'tsconfig.json',
      ...SERVER_PACKAGES,
      ...SHARED,
    ],
  },
};

/** Never inputs: outputs, installed packages, test files and their snapshots. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '__snapshots__', '.latih', 'test-results']);
const isTestFile = (name: string) => /\.test\.tsx?$/.test(name);
const STAMP = '.build-stamp';

function filesUnder(path: string, skipDirs: boolean): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  const files: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (!skipDirs || !SKIPPED_DIRS.has(entry.name)) files.push(...filesUnder(full, skipDirs));
    } else if (entry.isFile() && entry.name !== STAMP && !(skipDirs && isTestFile(entry.name))) {
      files.push(full);
    }
  }
  return files;
}

/** SHA-256 over the files' paths (relative to the root) and contents, in a stable order. */
function hashFiles(files: string[]): string {
  const hash = createHash('sha256');
  for (const file of [...new Set(files)].sort()) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function inputsHash(target: Target): string {
  // An input named explicitly (e.g. packages/sdk/dist for the console) is read whole.
  return hashFiles(
    target.inputs.flatMap((p) => filesUnder(join(root, p), !p.split('/').some((s) => SKIPPED_DIRS.has(s)))),
  );
}

function distHash(target: Target): string | null {
  const dist = join(root, target.dir, 'dist');
  const files = filesUnder(dist, false);
  return files.length ? hashFiles(files) : null;
}

type Stamp = { inputs: string; dist: string };

function readStamp(target: Target): Stamp | null {
  try {
    return JSON.parse(readFileSync(join(root, target.dir, STAMP), 'utf8')) as Stamp;
  } catch {
    return null;
  }
}

function build(name: string, target: Target, force: boolean): void {
  const inputs = inputsHash(target);
  const stamp = readStamp(target);
  if (!force && stamp?.inputs === inputs) {
    if (stamp.dist === distHash(target)) {
      console.log(`${name}: ${target.dir}/dist is up to date (its inputs have not changed), build skipped`);
      return;
    }
  }
  const started = Date.now();
  const run = spawnSync('npm', ['run', 'build', '-w', target.workspace, '--silent'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    console.error(`${name}: the build of ${target.workspace} failed`);
    process.exit(run.status ?? 1);
  }
  const dist = distHash(target);
  if (!dist) {
    console.error(`${name}: the build of ${target.workspace} left no ${target.dir}/dist`);
    process.exit(1);
  }
  writeFileSync(join(root, target.dir, STAMP), `${JSON.stringify({ inputs, dist } satisfies Stamp)}\n`);
  console.log(`${name}: built ${target.dir}/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const names = args.filter((a) => a !== '--force');
const unknown = names.filter((n) => !(n in TARGETS));
if (names.length === 0 || unknown.length > 0) {
  console.error(
    `usage: build-cached.ts [--force] ${Object.keys(TARGETS).join('|')}…${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
  );
  process.exit(2);
}
// In the order given: the console reads the SDK's build.
for (const name of names) build(name, TARGETS[name] as Target, force);
