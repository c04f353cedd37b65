import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    globalSetup: ['../support/global-setup.ts', '../support/openapi-count.ts'],
    // Every response from a gateway is validated against the OpenAPI document (openapi-harness.ts).
    setupFiles: ['../support/openapi-harness.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
