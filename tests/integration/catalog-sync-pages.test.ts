import { createLatihClient, isLatihError } from '@latih/sdk';
import { describe, expect, it } from 'vitest';

/*
 * The SDK's catalog.sync over the REST page (docs/adr/0009), against a gateway played by `fetch`:
 * it asks for the next page as soon as the current one's Latih-Next-Cursor and Latih-Has-More
 * headers are in, before reading its body; a page asked for ahead and never read is cancelled when
 * the iteration stops; without the headers it reads the body first; a refusal is a LatihError.
 */

type Log = string[];

/**
 * A gateway of `pages` pages. With `waitForNext`, a page's body is only sent once the next page has
 * been asked for (2 s at most, then the body fails): a client that reads a body before asking for
 * the next page never gets it.
 */
function fakeGateway(
  pages: number,
  opts: { headers?: boolean; waitForNext?: boolean; log: Log; signals?: AbortSignal[] },
) {
  const asked = new Map<number, () => void>();
  const askedFor = (n: number) =>
    new Promise<void>((resolve, reject) => {
      if (opts.log.includes(`request ${n}`)) return resolve();
      asked.set(n, resolve);
      setTimeout(() => reject(new Error(`page ${n} was not asked for before page ${n - 1} was read`)), 2_000);
    });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname === '/v1/oauth/token')
      return Response.json({ access_token: 'tok', token_type: 'Bearer', expires_in: 900 });
    const since = Number(url.searchParams.get('since') ?? '0');
    opts.log.push(`request ${since}`);
    asked.get(since)?.();
    if (init?.signal) opts.signals?.push(init.signal);
    const n = since + 1;
    const hasMore = n < pages;
    const page = {
      changes: [{ type: 'TOMBSTONE', courseId: `crs_${n}`, course: null }],
      nextCursor: String(n),
      hasMore,
    };
    // highWaterMark 0: nothing is pulled until the client reads the body.
    const body = new ReadableStream(
      {
        async pull(controller) {
          if (opts.waitForNext && hasMore) await askedFor(n);
          opts.log.push(`body ${since}`);
          controller.enqueue(new TextEncoder().encode(JSON.stringify(page)));
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, {
      headers: {
        'content-type': 'application/json',
        ...(opts.headers === false
          ? {}
          : { 'latih-next-cursor': String(n), 'latih-has-more': String(hasMore) }),
      },
    });
  };
  return createLatihClient({ baseUrl: 'http://gateway.test', clientId: 'c', clientSecret: 's', fetch });
}

describe('catalog.sync over the REST page', () => {
  it('asks for the next page before it reads the current one, and hands over every batch in order', async () => {
    const log: Log = [];
    const client = fakeGateway(3, { log, waitForNext: true });
    const batches = [];
    for await (const batch of client.catalog.sync({ limit: 500 })) batches.push(batch);
    expect(batches.map((b) => [b.changes.map((c) => c.courseId), b.cursor, b.hasMore])).toEqual([
      [['crs_1'], '1', true],
      [['crs_2'], '2', true],
      [['crs_3'], '3', false],
    ]);
    // Page 2 is asked for before page 1's body is read; the last page asks for nothing more.
    expect(log).toEqual(['request 0', 'request 1', 'body 0', 'request 2', 'body 1', 'body 2']);
  });

  it('cancels the page asked for ahead when the iteration stops', async () => {
    const log: Log = [];
    const signals: AbortSignal[] = [];
    const client = fakeGateway(5, { log, signals, waitForNext: true });
    for await (const batch of client.catalog.sync()) {
      expect(batch.cursor).toBe('1');
      break;
    }
    expect(log).toEqual(['request 0', 'request 1', 'body 0']);
    expect(signals[1]?.aborted).toBe(true);
  });

  it('reads the body first when the headers are missing (a proxy dropped them)', async () => {
    const log: Log = [];
    const client = fakeGateway(2, { log, headers: false });
    const cursors = [];
    for await (const batch of client.catalog.sync()) cursors.push(batch.cursor);
    expect(cursors).toEqual(['1', '2']);
    expect(log).toEqual(['request 0', 'body 0', 'request 1', 'body 1']);
  });

  it('a refusal is a LatihError with the gateway’s code, status and request id', async () => {
    const client = createLatihClient({
      baseUrl: 'http://gateway.test',
      clientId: 'c',
      clientSecret: 's',
      fetch: async (input) => {
        if (String(input).endsWith('/v1/oauth/token'))
          return Response.json({ access_token: 'tok', token_type: 'Bearer', expires_in: 900 });
        return Response.json(
          {
            code: 'VALIDATION_FAILED',
            message: 'The since given is not a cursor this feed returned.',
            field: 'since',
            requestId: 'req_1',
            retryable: false,
            docUrl: '/docs/errors/VALIDATION_FAILED',
          },
          { status: 400 },
        );
      },
    });
    const err = await (async () => {
      for await (const _ of client.catalog.sync({ since: 'bm9wZQ' })) return null;
      return null;
    })().catch((e: unknown) => e);
    expect(isLatihError(err)).toBe(true);
    expect(err).toMatchObject({
      code: 'VALIDATION_FAILED',
      status: 400,
      field: 'since',
      requestId: 'req_1',
      retryable: false,
    });
  });
});
