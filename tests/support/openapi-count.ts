import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Global setup of the e2e project: gives the OpenAPI harness (openapi-harness.ts) a file to count
 * in, and prints once, at the end of the run, how many responses it validated and what it skipped.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'latih-openapi-'));
  const file = join(dir, 'counts.jsonl');
  project.provide('openApiCountsFile', file);
  return () => {
    let validated = 0;
    let files = 0;
    const skipped: Record<string, number> = {};
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // no test file ran to its end
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const c = JSON.parse(line) as { validated: number; skipped: Record<string, number> };
      files++;
      validated += c.validated;
      for (const [k, n] of Object.entries(c.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
    }
    const skippedText = Object.entries(skipped)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(
      `OpenAPI harness: ${validated} responses validated against the document in ${files} test files (engine: ${process.env.TEST_DATABASE_URL ? 'PGlite and PostgreSQL' : 'PGlite'}); skipped: ${skippedText || 'none'}`,
    );
    rmSync(dir, { recursive: true, force: true });
  };
}
