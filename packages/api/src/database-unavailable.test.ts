import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { databaseUnavailable, toAppError } from './errors';

/** A driver error as pg raises it, wrapped as drizzle does. */
const wrapped = (cause: object) => Object.assign(new Error('Failed query: select 1'), { cause });

describe('a database that cannot be reached answers 503, not 500', () => {
  it.each([
    [
      'a server shutting down (57P01)',
      { code: '57P01', message: 'terminating connection due to administrator command' },
    ],
    ['a server in recovery (57P03)', { code: '57P03', message: 'the database system is starting up' }],
    ['a connection failure (08006)', { code: '08006', message: 'connection failure' }],
    ['too many connections (53300)', { code: '53300', message: 'sorry, too many clients already' }],
    [
      'a standby at the primary address (25006)',
      { code: '25006', message: 'cannot execute INSERT in a read-only transaction' },
    ],
    ['a refused connection', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }],
    ['a socket closed under a query', { message: 'Connection terminated unexpectedly' }],
    ['no pool connection in time', { message: 'timeout exceeded when trying to connect' }],
    ['IPv4 and IPv6 both refused', new AggregateError([{ code: 'ECONNREFUSED', message: 'x' }], '')],
  ])('%s', (_name, driverError) => {
    expect(databaseUnavailable(wrapped(driverError))).toBe(true);
    const app = toAppError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: wrapped(driverError) }));
    expect(app.code).toBe('SERVICE_UNAVAILABLE');
    expect(app.status).toBe(503);
  });

  it.each([
    ['a unique violation (23505)', { code: '23505', message: 'duplicate key value' }],
    ['a syntax error (42601)', { code: '42601', message: 'syntax error' }],
    ['a serialization failure (40001)', { code: '40001', message: 'could not serialize access' }],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('but %s stays a 500', (_name, driverError) => {
    expect(databaseUnavailable(wrapped(driverError))).toBe(false);
    const app = toAppError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: wrapped(driverError) }));
    expect(app.code).toBe('INTERNAL_ERROR');
  });
});
