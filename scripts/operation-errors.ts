/**
 * Derives, from the source, the domain error codes each REST operation can answer with, and prints
 * packages/api/src/operation-errors.generated.ts (`npm run docs:operation-errors`). A test
 * regenerates it and fails when it is stale, so the OpenAPI document cannot drift from what the
 * code throws; the e2e harness fails on any code an operation answers that the document omits.
 *
 * How: each procedure's definition (the chunk of its router file holding its openapi path) is
 * scanned for identifiers; each identifier that names a top-level function or constant of
 * packages/core or packages/api is followed, transitively; every catalog code quoted in a chunk
 * reached is a code the operation may return. That is a superset (a helper may hold several codes;
 * a name shared by two modules follows both), never a subset of what a `throw` in reach can send.
 * Codes that every operation of a kind answers (authentication, validation, idempotency, the edge,
 * rate limits, 5xx) are added by packages/api/src/openapi-errors.ts, not listed here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appRouter } from '../packages/api/src/router';
import { ERROR_CODES } from '../packages/contracts/src/errors';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.generated.ts'))
      out.push(p);
  }
  return out;
}

const TOP_LEVEL =
  /^(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/;

type Chunk = { file: string; name: string; text: string };

/** A file's top-level declarations, each with its text up to the next one. */
function chunks(file: string): Chunk[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Chunk[] = [];
  let current: Chunk | null = null;
  for (const line of lines) {
    const m = TOP_LEVEL.exec(line);
    if (m?.[1] || /^(?:export\s+)?(?:type|interface|import)\b/.test(line)) {
      if (current) out.push(current);
      current = m?.[1] ? { file, name: m[1], text: '' } : null;
    }
    if (current) current.text += `${line}\n`;
  }
  if (current) out.push(current);
  return out;
}

// The transport layer (authentication, idempotency, error mapping) is left out: what it answers is
// the same for every operation of a kind, and openapi-errors.ts declares it by kind.
const TRANSPORT = new Set(['trpc.ts', 'errors.ts', 'context.ts', 'openapi.ts', 'openapi-errors.ts']);
const files = [
  ...sources(join(root, 'packages/core/src')),
  ...sources(join(root, 'packages/api/src')).filter(
    (f) => !(f.startsWith(join(root, 'packages/api/src/')) && TRANSPORT.has(f.slice(f.lastIndexOf('/') + 1))),
  ),
];
const byName = new Map<string, Chunk[]>();
for (const f of files)
  for (const c of chunks(f)) {
    const list = byName.get(c.name) ?? [];
    list.push(c);
    byName.set(c.name, list);
  }

const CODES = new Set<string>(ERROR_CODES);
const QUOTED_CODE = /['"`]([A-Z][A-Z0-9_]{2,})['"`]/g;
/** A name used as a value: not a property (`.name`), not an object literal's key (`{ name:`, `, name:`). */
const IDENTIFIER = /(?<![\w$.])(?<![{,]\s*)[A-Za-z_$][\w$]*\b|(?<![\w$.])[A-Za-z_$][\w$]*\b(?!\s*:)/g;
/** Strings kept (codes are quoted), comments dropped: a word in a comment is no call. */
const STRING_OR_COMMENT =
  /('(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
const code = (text: string) => text.replace(STRING_OR_COMMENT, (_m, str: string | undefined) => str ?? ' ');

/** Catalog codes quoted anywhere in reach of `start`. */
function codesFrom(start: string): string[] {
  const seen = new Set<Chunk>();
  const codes = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const text = code(queue.pop() as string);
    for (const m of text.matchAll(QUOTED_CODE)) if (m[1] && CODES.has(m[1])) codes.add(m[1]);
    for (const [id] of text.matchAll(IDENTIFIER)) {
      for (const c of byName.get(id) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        queue.push(c.text);
      }
    }
  }
  return [...codes].sort();
}

type Proc = {
  _def: { meta?: { openapi?: { method: string; path: string } }; resolver?: (...args: never[]) => unknown };
};
const procedures = (appRouter as unknown as { _def: { procedures: Record<string, Proc> } })._def.procedures;

/** Procedure name → the catalog codes in reach of its resolver, for every procedure served under /v1. */
export function deriveOperationErrorCodes(): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const [name, proc] of Object.entries(procedures)) {
    if (!proc._def.meta?.openapi) continue;
    // The resolver's own source (the query or mutation callback) is where the procedure's work starts.
    const resolver = proc._def.resolver;
    if (!resolver) throw new Error(`${name}: no resolver`);
    // Vitest's SSR transform calls imports as `__vite_ssr_import_3__.fn(…)`: the name is the call.
    table[name] = codesFrom(String(resolver).replace(/\b__vite_ssr_[\w$]*__\./g, ''));
  }
  return table;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lines = [
    '// Generated by `npm run docs:operation-errors` (scripts/operation-errors.ts): do not edit.',
    '// The domain error codes in reach of each REST procedure, derived from the source; a test keeps',
    '// this file current, and packages/api/src/openapi-errors.ts adds the codes every operation shares.',
    "import type { TErrorCode } from '@latih/contracts';",
    '',
    'export const OPERATION_ERROR_CODES: Record<string, readonly TErrorCode[]> = {',
    ...Object.entries(deriveOperationErrorCodes()).map(
      ([name, codes]) => `  '${name}': [${codes.map((c) => `'${c}'`).join(', ')}],`,
    ),
    '};',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
