import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'integration',
    include: ['**/*.test.ts'],
    globalSetup: ['../support/global-setup.ts'],
    // PGlite takes a few seconds to start on 2 cores even from a dump.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The files share a worker's modules instead of each importing the packages' sources anew (and
    // compiling PGlite's WebAssembly again): an import was 3-4 s of CPU per file, more than many of
    // their tests. Nothing here keeps state in a module between files: each file opens its own
    // database and harness, and none mocks a module or stubs a global.
    isolate: false,
  },
});
