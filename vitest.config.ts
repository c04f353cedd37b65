import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tests/integration', 'tests/e2e', 'tests/consumer', 'tests/browser'],
  },
});
