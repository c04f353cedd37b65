import { cpSync, existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

/**
 * The production build of the gateway (docs/adr/0004-production-build.md): one ESM bundle per entry
 * point in apps/gateway/dist, started with plain `node --enable-source-maps`. The workspace packages
 * (@latih/*, TypeScript source) are bundled in; npm dependencies stay external and load from
 * node_modules at run time. The SQL migrations are copied to dist/drizzle, where
 * packages/db/src/client.ts finds them when bundled.
 */
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'dist');

/** The folder of the package `name` that Node would load when imported from `from`, or null. */
function installedPackage(name: string, from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return null;
  }
}

/**
 * An npm dependency stays external only when `import 'x'` from dist/ loads the same copy the
 * importing source file loads. A workspace package may have its own version nested in its
 * node_modules (packages/core has ipaddr.js 2 while the root has express's ipaddr.js 1): that one
 * is bundled, or the compiled gateway would silently run the wrong version.
 */
const externalUnlessNested: Plugin = {
  name: 'latih-external-unless-nested',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || args.path.startsWith('@latih/') || !args.importer) return;
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? args.path);
      const fromSource = installedPackage(name, dirname(args.importer));
      if (fromSource === null) return { external: true }; // a Node built-in without the prefix
      if (fromSource === installedPackage(name, outDir)) return { external: true };
      return undefined; // bundled from the importer's own copy
    });
  },
};

export default defineConfig({
  entry: {
    main: 'src/main.ts',
    worker: 'src/worker.ts',
    migrate: 'src/migrate.ts',
    'keys-rotate': 'src/keys-rotate.ts',
    staff: 'src/staff.ts',
    partitions: 'src/partitions.ts',
    // Development only (the payment provider for gateways and workers without a real one); built
    // so that a staging box without devDependencies can run it too.
    'payments-mock': 'src/payments-mock.ts',
  },
  outDir,
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: false,
  removeNodeProtocol: false,
  // tsup would make the gateway's own dependencies external by name; leave every decision to the
  // plugin above (node: built-ins and npm packages external unless nested, @latih/* bundled).
  noExternal: [/.*/],
  esbuildPlugins: [externalUnlessNested],
  async onSuccess() {
    cpSync(resolve(here, '../../packages/db/drizzle'), join(outDir, 'drizzle'), { recursive: true });
  },
});
