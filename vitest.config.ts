import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tests/integration', 'tests/e2e', 'tests/consumer', 'tests/browser'],
    // Vitest's default is one worker on a 2-core machine (cores - 1), but most test files wait on
    // processes, sockets and PostgreSQL rather than on the CPU: two files at a time shorten
    // the suite's wall time here. VITEST_MAX_WORKERS overrides it.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || 2,
  },
});
