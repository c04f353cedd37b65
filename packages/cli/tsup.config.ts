import { defineConfig } from 'tsup';

/**
 * `latih`, one ESM file with a shebang: dist/cli.js (the package's bin). Its npm dependencies
 * (@latih/sdk, commander, cli-progress, csv-parse) stay external and load from node_modules; the
 * webhook signer is the gateway's own (@latih/payments/signature, not published), bundled in so that
 * `latih listen` signs exactly as webhook deliveries are signed.
 */
export default defineConfig({
  entry: { cli: 'src/cli.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
  sourcemap: true,
  noExternal: [/^@latih\/payments/],
  banner: { js: '#!/usr/bin/env node' },
});
