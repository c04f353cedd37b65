import { Writable } from 'node:stream';
import { AppError } from '@latih/contracts';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { inspectValue, logEscapedErrors, MAX_NESTING } from './hostile-input';
import { createLogger } from './logger';

/** `levels` objects nested in one another, built without recursion. */
function nested(levels: number, leaf: unknown = 'x'): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe('inspectValue: what the edge refuses in a parsed body or tRPC input', () => {
  it(`takes ${MAX_NESTING} levels of objects and arrays, refuses ${MAX_NESTING + 1}, naming the top field`, () => {
    expect(inspectValue({ title: nested(MAX_NESTING - 1) })).toBeNull();
    expect(inspectValue({ title: nested(MAX_NESTING) })).toMatchObject({
      code: 'NESTING_TOO_DEEP',
      field: 'title',
    });
    let arrays: unknown = [];
    for (let i = 1; i < MAX_NESTING; i++) arrays = [arrays];
    expect(inspectValue(arrays)).toBeNull();
    expect(inspectValue([arrays])).toMatchObject({ code: 'NESTING_TOO_DEEP' });
    // Far past the limit costs no deeper recursion than the limit.
    expect(inspectValue(nested(100_000))).toMatchObject({ code: 'NESTING_TOO_DEEP' });
  });

  it('refuses a NUL or a lone surrogate in any string or key, with the dotted path as field', () => {
    expect(inspectValue({ sessions: [{ venue: { name: 'Aula\u0000' } }] })).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'sessions.0.venue.name',
    });
    expect(inspectValue({ text: 'ok \ud83d\ude00 ok' })).toBeNull(); // a surrogate pair is fine
    expect(inspectValue({ text: 'half \ud83d' })).toMatchObject({ code: 'VALIDATION_FAILED', field: 'text' });
    expect(inspectValue({ text: '\ude00 half' })).toMatchObject({ code: 'VALIDATION_FAILED', field: 'text' });
    expect(inspectValue({ meta: { 'k\u0000': 1 } })).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'meta',
    });
    expect(inspectValue('\u0000')).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(inspectValue({ note: 'tab\tnewline\n and \\u0000 as text are fine' })).toBeNull();
  });

  it('refuses a __proto__ key, as JSON.parse makes it', () => {
    expect(inspectValue(JSON.parse('{"a":{"__proto__":{"polluted":true}}}'))).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'a',
    });
    expect(inspectValue({ constructor: 'is just a name' })).toBeNull();
  });

  it('names the field inside a tRPC batch call without its index', () => {
    expect(inspectValue({ 0: { id: 'x' }, 1: { title: 'a\u0000' } }, { skip: 1 })).toMatchObject({
      field: 'title',
    });
  });
});

describe('logEscapedErrors: the 5xx raised outside the procedures is logged with its request id', () => {
  it('logs an INTERNAL_ERROR that escaped before the procedure, and nothing else', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    });
    const onError = logEscapedErrors(createLogger('info', sink));
    const req = { res: { locals: { requestId: 'req_escaped' } } };
    onError({
      error: new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new RangeError('stack') }),
      path: 'a.b',
      req,
    });
    // Logged already by the procedures' own middleware (its cause is the AppError), or not a 5xx.
    onError({
      error: new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new AppError('INTERNAL_ERROR') }),
      req,
    });
    onError({ error: new TRPCError({ code: 'BAD_REQUEST', message: 'no' }), req });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      requestId: 'req_escaped',
      path: 'a.b',
      msg: 'unhandled error',
      err: { type: 'RangeError', message: 'stack' },
    });
  });
});
