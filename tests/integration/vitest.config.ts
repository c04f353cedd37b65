import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'integration',
    include: ['**/*.test.ts'],
    globalSetup: ['../support/global-setup.ts'],
    // PGlite takes a few seconds to start on 2 cores even from a dump.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
