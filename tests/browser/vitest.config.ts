import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'browser',
    include: ['**/*.test.ts'],
    globalSetup: ['../support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
