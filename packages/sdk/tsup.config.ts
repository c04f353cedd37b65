import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // The router type comes from the workspace's @latih/api and @latih/contracts, which are not
  // published: inline their declarations so the package stands alone on npm.
  dts: {
    resolve: [/^@latih\//],
    compilerOptions: {
      composite: false,
      baseUrl: '.',
      paths: {
        '@latih/api/router': ['../api/src/router.ts'],
        '@latih/contracts/values': ['../contracts/src/values.ts'],
        '@latih/*': ['../*/src/index.ts'],
      },
    },
  },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['@trpc/client', '@trpc/server', 'zod'],
});
