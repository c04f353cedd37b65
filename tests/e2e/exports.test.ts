import { Writable } from 'node:stream';
import { backpressureWriter } from '@latih/api';
import { newId } from '@latih/core';
import { schema } from '@latih/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../support/gateway';

describe('CSV exports over HTTP', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let pmo: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    pmo = await gw.token('pmo');
    // 2 500 audit rows: more than 25 pages of the underlying list.
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      id: newId('audit'),
      action: 'export.test',
      entityType: 'export_test',
      entityId: `row-${i}`,
      fromState: i === 0 ? '=HYPERLINK("http://evil.example")' : null,
      toState: 'a,b "quoted"',
      data: { i },
    }));
    for (let i = 0; i < rows.length; i += 500)
      await gw.database.db.insert(schema.auditLog).values(rows.slice(i, i + 500));
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('streams every row as text/csv, page after page, with fields quoted and formulas defused', async () => {
    const res = await fetch(`${gw.url}/v1/pmo/exports/audit.csv?entityType=export_test`, {
      headers: { authorization: `Bearer ${pmo}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="latih-audit.csv"');
    expect(res.headers.get('content-length')).toBeNull(); // streamed (chunked), not buffered
    let chunks = 0;
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      text += decoder.decode(chunk, { stream: true });
    }
    const lines = text.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe(
      'id,occurredAt,actorOrganisationId,actorClientId,action,entityType,entityId,fromState,toState,requestId,data',
    );
    expect(lines).toHaveLength(2501);
    expect(chunks).toBeGreaterThan(1);
    const first = lines.find((l) => l.includes(',row-0,'));
    expect(first).toContain(`,"'=HYPERLINK(""http://evil.example"")","a,b ""quoted""",`);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(2500);
  });

  it('answers errors in the JSON shape before streaming: no token, wrong role, bad filter, unknown export', async () => {
    const none = await fetch(`${gw.url}/v1/pmo/exports/audit.csv`);
    expect([none.status, ((await none.json()) as { code: string }).code]).toEqual([401, 'TOKEN_MISSING']);
    const provider = await gw.token('provider-a');
    const wrong = await fetch(`${gw.url}/v1/pmo/exports/signals.csv`, {
      headers: { authorization: `Bearer ${provider}` },
    });
    expect([wrong.status, ((await wrong.json()) as { code: string }).code]).toEqual([403, 'FORBIDDEN_ROLE']);
    const bad = await fetch(`${gw.url}/v1/pmo/exports/reports/providers.csv?from=2026-13-01&to=2026-02-01`, {
      headers: { authorization: `Bearer ${pmo}` },
    });
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await fetch(`${gw.url}/v1/pmo/exports/passwords.csv`, {
      headers: { authorization: `Bearer ${pmo}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('a provider exports its own class roster, and only its own', async () => {
    const b = await gw.token('provider-b');
    const post = (token: string, path: string, body: unknown) =>
      fetch(`${gw.url}/v1${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const courses = (await (
      await fetch(`${gw.url}/v1/provider/courses?limit=50`, { headers: { authorization: `Bearer ${b}` } })
    ).json()) as { items: { id: string; externalId: string | null }[] };
    const course = courses.items.find((c) => c.externalId === 'DEMO-PEMASARAN-DIGITAL');
    const issued = (await post(b, '/sandbox/test-codes', { courseId: course?.id, count: 2 })) as {
      codes: { code: string }[];
    };
    for (const { code } of issued.codes)
      await post(b, '/provider/vouchers/redeem', { code, courseId: course?.id });
    const csv = await fetch(`${gw.url}/v1/provider/exports/enrollments.csv?status=IN_TRAINING`, {
      headers: { authorization: `Bearer ${b}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe(
      'enrollmentId,participant.id,participant.name,courseId,runId,status,redeemedAt,completedAt,sessions,sessionsConfirmed,attendancePercent,missing,session.sequence,session.status,session.method',
    );
    expect(lines.slice(1)).toHaveLength(2);
    for (const line of lines.slice(1)) expect(line).toMatch(/^enr_.*,IN_TRAINING,/);
    // Another provider's export holds none of them; the program office's token is not a provider's.
    const a = await fetch(`${gw.url}/v1/provider/exports/enrollments.csv`, {
      headers: { authorization: `Bearer ${await gw.token('provider-a')}` },
    });
    expect((await a.text()).split('\r\n').filter((l) => l !== '')).toHaveLength(1);
    const byPmo = await fetch(`${gw.url}/v1/provider/exports/enrollments.csv`, {
      headers: { authorization: `Bearer ${pmo}` },
    });
    expect([byPmo.status, ((await byPmo.json()) as { code: string }).code]).toEqual([403, 'FORBIDDEN_ROLE']);
    // A PMO export's name is not reachable under the provider's prefix.
    const crossed = await fetch(`${gw.url}/v1/provider/exports/audit.csv`, {
      headers: { authorization: `Bearer ${b}` },
    });
    expect(crossed.status).toBe(404);
  });

  it('exports reports and open statistics; the public one needs no token', async () => {
    const report = await fetch(
      `${gw.url}/v1/pmo/exports/reports/providers.csv?from=2026-01-01&to=2027-01-01&sort=name&order=asc`,
      {
        headers: { authorization: `Bearer ${pmo}` },
      },
    );
    expect(report.status).toBe(200);
    expect((await report.text()).split('\r\n')[0]).toMatch(
      /^providerId,providerName,courseId,courseTitle,vouchersSold,/,
    );
    const open = await fetch(`${gw.url}/v1/public/exports/statistics.csv?dimension=province`);
    expect(open.status).toBe(200);
    expect((await open.text()).split('\r\n')[0]).toBe(
      'key,label,participants,completions,certificates,incentivesPaid,incentivesPaidAmount',
    );
    const doc = (await (await fetch(`${gw.url}/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/pmo/exports/audit.csv',
        '/pmo/exports/reports/providers.csv',
        '/pmo/exports/webhooks/deliveries.csv',
        '/public/exports/statistics.csv',
        '/provider/exports/enrollments.csv',
      ]),
    );
  });

  it('waits for drain under backpressure without piling up listeners, and stops when the client goes', async () => {
    const received: string[] = [];
    // A socket that takes one small chunk at a time: every write waits for drain.
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk, _enc, done) {
        received.push(String(chunk));
        setImmediate(done);
      },
    });
    const write = backpressureWriter(slow);
    const base = slow.listenerCount('close');
    for (let i = 0; i < 50; i++) await write(`row-${i}\r\n`);
    expect(received).toHaveLength(50);
    expect(slow.listenerCount('close')).toBe(base);
    expect(slow.listenerCount('drain')).toBe(0);
    slow.destroy();
    await new Promise((r) => setImmediate(r));
    expect(write.closed()).toBe(true);
    await expect(write('late\r\n')).rejects.toThrow('client went away');
  });
});
