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
    // their tests. Each file opens its own database and harness, and none mocks a module (a file
    // that stubs a global restores it after each test). Fixtures' counters (serials, card numbers)
    // do carry on between files of one worker: a test must not expect their first values, nor look
    // for a short counter-made value (such as a NIK's last four digits) as a substring of text
    // holding random ids.
    isolate: false,
  },
});
