import { readFileSync } from 'node:fs';
import { CLIENT_ERROR_CODES, ERROR_CATALOG, ERROR_CODES } from '@latih/contracts';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../../../scripts/errors-doc';

const errorsDoc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('is generated from the current catalog (run npm run docs:errors)', () => {
    expect(errorsDoc).toBe(renderErrorsDoc());
  });

  it.each(ERROR_CODES)('documents %s with its HTTP status, when it is thrown and what to do', (code) => {
    const section = errorsDoc.split(`\n## ${code.toLowerCase()}\n`)[1]?.split('\n## ')[0];
    expect(section, `no section for ${code}`).toBeDefined();
    expect(section).toContain(`HTTP ${ERROR_CATALOG[code].status}`);
    expect(section).toMatch(/\*\*When:\*\* \S/);
    expect(section).toMatch(/\*\*What to do:\*\* \S/);
  });

  it.each(CLIENT_ERROR_CODES)('documents the SDK-only %s, when it is raised and what to do', (code) => {
    const section = errorsDoc.split(`\n## ${code.toLowerCase()}\n`)[1]?.split('\n## ')[0];
    expect(section, `no section for ${code}`).toBeDefined();
    expect(section).toContain('SDK only');
    expect(section).toMatch(/\*\*When:\*\* \S/);
    expect(section).toMatch(/\*\*What to do:\*\* \S/);
    expect(errorsDoc).toContain(`| [\`${code}\`](#${code.toLowerCase()}) | SDK only |`);
  });
});

describe('docs/operations.md', () => {
  it('is generated from the current schedule (run npm run docs:jobs)', async () => {
    const { renderOperationsDoc } = await import('../../../scripts/jobs-doc');
    expect(readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8')).toBe(
      renderOperationsDoc(),
    );
    // Importing the script loads the gateway's metrics and core modules: seconds on a busy 2-core machine.
  }, 30_000);
});
