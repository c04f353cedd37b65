import { createHmac } from 'node:crypto';
import { checkLedger } from '@latih/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { startTestGateway } from '../support/gateway';

/*
 * The program's provider integration protocol (/api/v1/integration/*, HMAC-SHA1), driven over HTTP
 * by clients written the way the program's public samples and providers' integrations are written:
 * Node with a hand-built signed string, Python's json.dumps (spaced JSON, compact JSON signed), PHP's
 * json_encode (escaped slashes). On both engines; the race of protocol commits against SDK redeems
 * on PostgreSQL.
 */

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
type Envelope = { success: boolean; message: string; code?: string; data?: Record<string, unknown> };

const hmac = (key: string, text: string) => createHmac('sha1', key).update(text, 'utf8').digest('hex');

/** A client as the program's Node sample writes one: the signed string built by hand. */
function client(base: string, clientCode: string, signKey: string) {
  return async function call(
    endpoint: string,
    data: Record<string, unknown>,
    o: {
      /** How the body is written (Node: JSON.stringify; Python: json.dumps; PHP: json_encode). */
      style?: 'node' | 'python' | 'php';
      /** The path the request goes to, when it differs from the signed one (`//api/…`). */
      sentPath?: string;
      timestamp?: number;
      key?: string;
      headerNames?: [string, string, string];
      omit?: 'signature';
    } = {},
  ): Promise<{ status: number; body: Envelope }> {
    const path = `/api/v1/integration/${endpoint}`;
    const compact = JSON.stringify(data);
    const style = o.style ?? 'node';
    // Python's json.dumps puts a space after ':' and ','; PHP's json_encode escapes '/'.
    const sent =
      style === 'python'
        ? JSON.stringify(data, null, 1).replace(/\n\s*/g, ' ').replace(/\{ /g, '{').replace(/ \}/g, '}')
        : style === 'php'
          ? compact.replaceAll('/', '\\/')
          : compact;
    // Python's sample signs the compact text it built by hand; PHP signs what json_encode gave it.
    const signedBody = style === 'python' ? compact : sent;
    const timestamp = String(o.timestamp ?? Math.round(Date.now() / 1000));
    const signature = hmac(o.key ?? signKey, `${clientCode}${timestamp}POST${path}${signedBody}`);
    const [cc, ts, sg] = o.headerNames ?? ['client_code', 'timestamp', 'signature'];
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      [cc]: clientCode,
      [ts]: timestamp,
    };
    if (o.omit !== 'signature') headers[sg] = signature;
    const res = await fetch(`${base}${o.sentPath ?? path}`, { method: 'POST', headers, body: sent });
    return { status: res.status, body: (await res.json()) as Envelope };
  };
}

async function api(gw: Gw, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gw.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { code?: string } };
}

for (const engine of engines()) {
  describe(`the program's integration protocol over HTTP (${engine})`, () => {
    let gw: Gw;
    // The program's time: the real time plus an offset the tests move (the run's first session).
    let offsetMs = 0;
    let pmo: string;
    let provider: string;
    let providerId: string;
    let clientCode: string;
    let signKey: string;
    let course: { id: string; runId: string; firstStart: number };

    beforeAll(async () => {
      gw = await startTestGateway({ engine, now: () => Date.now() + offsetMs });
      pmo = await gw.token('pmo');
      provider = await gw.token('provider-a');
      providerId = gw.demo['provider-a'].id;
      const courses = await api(gw, provider, 'GET', '/provider/courses?limit=50');
      const items = courses.body.items as { id: string; externalId: string | null }[];
      const photo = items.find((c) => c.externalId === 'DEMO-FOTOGRAFI');
      if (!photo) throw new Error('no demo course');
      const runs = await api(gw, provider, 'GET', `/provider/runs?courseId=${photo.id}`);
      // The evening class (the webinar also has a morning one, later): the soonest.
      const run = (runs.body.items as { id: string; sessions: { startsAt: string }[] }[]).sort((a, b) =>
        (a.sessions[0]?.startsAt ?? '').localeCompare(b.sessions[0]?.startsAt ?? ''),
      )[0];
      if (!run?.sessions[0]) throw new Error('no demo run');
      course = { id: photo.id, runId: run.id, firstStart: Date.parse(run.sessions[0].startsAt) };
    }, 120_000);
    afterAll(async () => {
      if (gw) {
        expect((await checkLedger(gw.database.db)).balanced).toBe(true);
        await gw.close();
      }
    });

    it('the PMO issues a client_code and a sign key, shown once and sealed at rest', async () => {
      const issued = await api(gw, pmo, 'POST', `/pmo/organisations/${providerId}/integration`, {});
      expect(issued.status).toBe(200);
      clientCode = String(issued.body.clientCode);
      signKey = String(issued.body.signKey);
      expect(clientCode).toMatch(/^lkp\d{20}$/);
      expect(signKey).toMatch(/^[0-9a-f]{40}$/);
      // A second issue while a key is live is refused: rotate it instead.
      const again = await api(gw, pmo, 'POST', `/pmo/organisations/${providerId}/integration`, {});
      expect(again.body.code).toBe('INVALID_STATE');
      const read = await api(gw, pmo, 'GET', `/pmo/organisations/${providerId}/integration`);
      expect(JSON.stringify(read.body)).not.toContain(signKey);
      expect(read.body.clientCode).toBe(clientCode);
      const rows = await gw.database.db.execute(
        `select sealed_key from integration_keys where client_code = '${clientCode}'` as never,
      );
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(signKey);
      expect(stored).toContain('v1.');
      // Never logged either.
      expect(JSON.stringify(gw.lines)).not.toContain(signKey);
      // Only a PMO issues them; a provider cannot.
      const refused = await api(gw, provider, 'POST', `/pmo/organisations/${providerId}/integration`, {});
      expect(refused.status).toBe(403);
    });

    it('refuses what is not signed right, each in the envelope with a stable code', async () => {
      const call = client(gw.url, clientCode, signKey);
      const body = { redeem_code: 'PRAT-0000-0000-0000-0000' };
      const now = Math.round(Date.now() / 1000);
      const cases: [Parameters<typeof call>[2], number, string][] = [
        [{ key: 'not-the-key' }, 401, 'ERR_INTEGRATION_SIGNATURE_INVALID'],
        [{ timestamp: now - 301 }, 401, 'ERR_INTEGRATION_TIMESTAMP_OUT_OF_RANGE'],
        [{ timestamp: now + 301 }, 401, 'ERR_INTEGRATION_TIMESTAMP_OUT_OF_RANGE'],
        [{ omit: 'signature' }, 401, 'ERR_INTEGRATION_HEADERS_MISSING'],
      ];
      for (const [o, status, code] of cases) {
        const r = await call('payment/redeem-code/status', body, o);
        expect([r.status, r.body.success, r.body.code]).toEqual([status, false, code]);
        expect(r.body.message).toBeTruthy();
      }
      // An unknown client_code, and a path the protocol does not have.
      const stranger = client(gw.url, 'lkp00000000000000000000', signKey);
      expect((await stranger('payment/redeem-code/status', body)).body.code).toBe(
        'ERR_INTEGRATION_CLIENT_UNKNOWN',
      );
      expect((await call('payment/redeem-code/nothing', body)).body.code).toBe('ERR_ROUTE_NOT_FOUND');
      // A body that is signed but not the one sent.
      const res = await fetch(`${gw.url}/api/v1/integration/payment/redeem-code/status`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          client_code: clientCode,
          timestamp: String(now),
          signature: hmac(
            signKey,
            `${clientCode}${now}POST/api/v1/integration/payment/redeem-code/status{"redeem_code":"A"}`,
          ),
        },
        body: '{"redeem_code":"B"}',
      });
      expect(((await res.json()) as Envelope).code).toBe('ERR_INTEGRATION_SIGNATURE_INVALID');
      // The gateway's edge checks answer in the envelope here too: another media type, a NUL, a GET.
      const edge = async (init: RequestInit) => {
        const r = await fetch(`${gw.url}/api/v1/integration/payment/redeem-code/status`, init);
        const b = (await r.json()) as Envelope & { request_id?: string };
        return [r.status, b.success, b.code, typeof b.request_id];
      };
      expect(
        await edge({
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: '{"redeem_code":"x"}',
        }),
      ).toEqual([415, false, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'string']);
      expect(
        await edge({
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"redeem_code":"a\\u0000b"}',
        }),
      ).toEqual([400, false, 'ERR_VALIDATION_FAILED', 'string']);
      expect(await edge({ method: 'GET' })).toEqual([405, false, 'ERR_METHOD_NOT_SUPPORTED', 'string']);
    });

    it('accepts the Python, PHP, header-case and // variants of one request', async () => {
      const call = client(gw.url, clientCode, signKey);
      const body = { redeem_code: 'PRAT-0000-0000-0000-0000' };
      const variants: Parameters<typeof call>[2][] = [
        { style: 'node' },
        { style: 'python' },
        { style: 'php' },
        { headerNames: ['Client_code', 'Timestamp', 'Signature'] },
        { sentPath: '//api/v1/integration/payment/redeem-code/status' },
      ];
      for (const o of variants) {
        const r = await call('payment/redeem-code/status', body, o);
        // Authenticated: the code itself is unknown (a well-formed code nobody bought).
        expect([r.status, r.body.code]).toEqual([404, 'ERR_VOUCHER_NOT_FOUND']);
      }
    });

    it('a provider day through the protocol: status, commit, face check, TPM, feedback', async () => {
      // The provider registers where the face check sends participants back (as on the main API).
      await api(gw, provider, 'POST', '/provider/redirect-uris', {
        uri: 'https://lms.example.id/prakerja/return',
      });
      const issued = await api(gw, provider, 'POST', '/sandbox/test-codes', {
        courseId: course.id,
        runId: course.runId,
        count: 2,
      });
      expect(issued.status).toBe(200);
      const codes = (issued.body.codes as { code: string }[]).map((c) => c.code);
      expect(codes[0]).toMatch(/^PRAT-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      const code = codes[0] ?? '';
      const node = client(gw.url, clientCode, signKey);
      const python = (e: string, d: Record<string, unknown>) => node(e, d, { style: 'python' });
      const php = (e: string, d: Record<string, unknown>) => node(e, d, { style: 'php' });

      const before = await node('payment/redeem-code/status', { redeem_code: code, sequence: 1 });
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({
        success: true,
        data: {
          redeem_code: code,
          course_code: course.id,
          schedule_code: course.runId,
          status: 0,
          attendance_status: 0,
          redeem_at: null,
          dp_platform: 'Pasar Kursus Digital (demo)',
          course_type: 2,
          course_type_label: 'Webinar',
          course_learning_method: 'daring',
          is_online_attendance: true,
          sequence: 1,
        },
      });
      expect(before.body.data?.schedule_start_end).toMatch(
        /^\d{4}-\d\d-\d\d 19:00 - \d{4}-\d\d-\d\d 22:00 WIB$/,
      );
      expect(String(before.body.data?.invoice_code)).toMatch(/^chk_/);

      // Too early: the same refusal the SDK gives.
      const early = await python('payment/redeem-code/commit', { redeem_code: code });
      expect([early.status, early.body.code]).toEqual([409, 'ERR_REDEMPTION_WINDOW_NOT_OPEN']);

      offsetMs = course.firstStart + 5 * 60_000 - Date.now();
      const committed = await python('payment/redeem-code/commit', { redeem_code: code });
      expect(committed.status).toBe(200);
      expect(committed.body.data).toMatchObject({ status: 1, attendance_status: 0 });
      expect(Date.parse(String(committed.body.data?.redeem_at))).toBeGreaterThan(course.firstStart);
      // A second commit: refused, with the code's data (a retry can see it is its own).
      const second = await node('payment/redeem-code/commit', { redeem_code: code });
      expect([second.status, second.body.code, second.body.data?.status]).toEqual([
        409,
        'ERR_VOUCHER_ALREADY_REDEEMED',
        1,
      ]);
      // The SDK's side sees the same enrollment, and the platform's feed the redemption.
      const vouchers = await gw.database.db.execute(
        `select e.id, v.status, e.redeemed_ip from vouchers v join enrollments e on e.voucher_id = v.id where v.test` as never,
      );
      const rows = (
        vouchers as unknown as { rows: { id: string; status: string; redeemed_ip: string | null }[] }
      ).rows;
      expect(rows).toHaveLength(1);
      // The provider's server is not the participant: no address is recorded for fraud signals.
      expect(rows[0]?.redeemed_ip).toBeNull();
      const enrollmentId = rows[0]?.id ?? '';
      const sdkRedeem = await api(gw, provider, 'POST', '/provider/vouchers/redeem', {
        code: code.replace('PRAT-', ''),
        courseId: course.id,
        runId: course.runId,
      });
      expect(sdkRedeem.body.code).toBe('VOUCHER_ALREADY_REDEEMED');
      const audit = await api(gw, pmo, 'GET', `/pmo/audit?action=voucher.redeemed&limit=5`);
      expect(JSON.stringify(audit.body)).toContain('ikey_');

      // The face check: a URL for session 1, the participant confirms, status shows it.
      const link = await php('oauth/url-generate', {
        redeem_code: code,
        sequence: 1,
        redirect_uri: 'https://lms.example.id/prakerja/return',
        email: 'peserta@example.id',
      });
      expect(link.status).toBe(200);
      const url = String(link.body.data?.url);
      expect(url).toContain('/identity-check/');
      expect(link.body.data).toMatchObject({ course: { type: 2, learning_method: 'daring' } });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const answered = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'decision=CONFIRMED',
        redirect: 'manual',
      });
      expect(answered.status).toBe(303);
      const back = new URL(answered.headers.get('location') ?? '');
      expect(back.searchParams.get('state')).toBe(link.body.data?.state);
      const after = await node('payment/redeem-code/status', { redeem_code: code, sequence: 1 });
      expect(after.body.data).toMatchObject({ attendance_status: 1, status: 1, sequence: 1 });
      const session2 = await node('payment/redeem-code/status', { redeem_code: code, sequence: 2 });
      expect(session2.body.data?.attendance_status).toBe(0);
      // A redirect_uri the provider never registered is refused.
      const stray = await node('oauth/url-generate', {
        redeem_code: code,
        sequence: 2,
        redirect_uri: 'https://evil.example/steal',
      });
      expect(stray.body.code).toBe('ERR_REDIRECT_URI_NOT_REGISTERED');

      // TPM: submitted, reviewed, read back; UK must be 999.
      const none = await node('tpm/submission/status', { redeem_code: code, scope: 'tpm', sequence: 1 });
      expect(none.body.data).toMatchObject({ assignment: { status: 0 }, feedback: { status: 0 } });
      const submitted = await php('tpm/submission', {
        redeem_code: code,
        scope: 'tpm',
        sequence: 1,
        url_file: 'https://files.example.id/tpm/1.pdf',
      });
      expect(submitted.body).toMatchObject({
        success: true,
        data: {
          redeem_code: code,
          scope: 'tpm',
          sequence: 1,
          status: 1,
          url_file: 'https://files.example.id/tpm/1.pdf',
        },
      });
      const pending = await node('tpm/submission/status', { redeem_code: code, scope: 'tpm', sequence: 1 });
      expect(pending.body.data).toMatchObject({ assignment: { status: 1 }, feedback: { status: 0 } });
      const noNotes = await node('tpm/feedback/submission', { redeem_code: code, scope: 'tpm', sequence: 1 });
      expect([noNotes.status, noNotes.body.code]).toEqual([400, 'ERR_VALIDATION_FAILED']);
      const unsent = await node('tpm/feedback/submission', {
        redeem_code: code,
        scope: 'tpm',
        sequence: 2,
        notes: 'Bagus',
      });
      expect(unsent.body.code).toBe('ERR_ASSIGNMENT_NOT_SUBMITTED');
      const fed = await python('tpm/feedback/submission', {
        redeem_code: code,
        scope: 'tpm',
        sequence: 1,
        notes: 'Pencahayaan sudah baik; perhatikan latar belakang.',
        url_file: 'https://files.example.id/tpm/1-feedback.pdf',
      });
      expect(fed.body.data).toMatchObject({
        status: 2,
        notes: 'Pencahayaan sudah baik; perhatikan latar belakang.',
        url_file: 'https://files.example.id/tpm/1-feedback.pdf',
      });
      const done = await node('tpm/submission/status', { redeem_code: code, scope: 'tpm', sequence: 1 });
      expect(done.body.data).toMatchObject({
        assignment: { scope: 'tpm', sequence: 1, status: 2 },
        feedback: { status: 2, notes: 'Pencahayaan sudah baik; perhatikan latar belakang.' },
      });
      const badUk = await node('tpm/submission', {
        redeem_code: code,
        scope: 'uk',
        sequence: 3,
        url_file: 'https://files.example.id/uk.pdf',
      });
      expect(badUk.body.code).toBe('ERR_VALIDATION_FAILED');
      // The same records the SDK's side reads: the enrollment's progress counts the task.
      const progress = await api(gw, provider, 'POST', '/provider/assignments/review', {
        enrollmentId,
        scope: 'TPM',
        sequence: 1,
        verdict: 'FAILED',
        notes: 'Berkas tidak dapat dibuka.',
      });
      expect(progress.body).toMatchObject({
        status: 'FAILED',
        feedback: { notes: 'Berkas tidak dapat dibuka.' },
      });
      const failed = await node('tpm/submission/status', { redeem_code: code, scope: 'tpm', sequence: 1 });
      expect(failed.body.data).toMatchObject({ assignment: { status: 3 }, feedback: { status: 3 } });

      // Sandbox: reset undoes the redemption of a test code; the code can be committed again.
      const reset = await node('payment/redeem-code/reset', { redeem_code: code });
      expect(reset.body).toMatchObject({ success: true, data: { status: 0, redeem_at: null } });
      const again = await node('payment/redeem-code/commit', { redeem_code: code });
      expect(again.body.data?.status).toBe(1);
      expect(
        (await node('tpm/submission/status', { redeem_code: code, scope: 'tpm', sequence: 1 })).body.data,
      ).toMatchObject({ assignment: { status: 0 } });

      // Another provider's client learns only that the code is not theirs.
      const other = await api(
        gw,
        pmo,
        'POST',
        `/pmo/organisations/${gw.demo['provider-b'].id}/integration`,
        {},
      );
      const b = client(gw.url, String(other.body.clientCode), String(other.body.signKey));
      const peek = await b('payment/redeem-code/status', { redeem_code: code });
      expect([peek.status, peek.body.code, peek.body.data]).toEqual([
        403,
        'ERR_VOUCHER_OTHER_PROVIDER',
        undefined,
      ]);
      offsetMs = 0;
    }, 60_000);

    it('50 concurrent commits of one code, through the protocol and the SDK together, give one enrollment', async () => {
      const issued = await api(gw, provider, 'POST', '/sandbox/test-codes', {
        courseId: course.id,
        runId: course.runId,
      });
      const code = String((issued.body.codes as { code: string }[])[0]?.code);
      offsetMs = course.firstStart - Date.now();
      const call = client(gw.url, clientCode, signKey);
      const attempts = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? call('payment/redeem-code/commit', { redeem_code: code }).then((r) => ({
              ok: r.body.success,
              code: r.body.code ?? null,
            }))
          : api(gw, provider, 'POST', '/provider/vouchers/redeem', {
              code,
              courseId: course.id,
              runId: course.runId,
            }).then((r) => ({ ok: r.status === 200, code: r.body.code ?? null })),
      );
      const results = await Promise.all(attempts);
      offsetMs = 0;
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const refusals = new Set(results.filter((r) => !r.ok).map((r) => r.code));
      expect(
        [...refusals].every((c) => c === 'ERR_VOUCHER_ALREADY_REDEEMED' || c === 'VOUCHER_ALREADY_REDEEMED'),
      ).toBe(true);
      const rows = await gw.database.db.execute(
        `select count(*)::int as n from enrollments e join vouchers v on v.id = e.voucher_id
          where v.id = '${(issued.body.codes as { voucherId: string }[])[0]?.voucherId}'` as never,
      );
      expect((rows as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(1);
      const events = await gw.database.db.execute(
        `select count(*)::int as n from events where type = 'voucher.redeemed'
          and entity_id = '${(issued.body.codes as { voucherId: string }[])[0]?.voucherId}'` as never,
      );
      expect((events as unknown as { rows: { n: number }[] }).rows[0]?.n).toBe(1);
    }, 60_000);

    it('rotation keeps the old key for its grace; revocation and suspension stop the provider', async () => {
      const read = await api(gw, pmo, 'GET', `/pmo/organisations/${providerId}/integration`);
      const keyId = String((read.body.keys as { id: string }[])[0]?.id);
      const rotated = await api(gw, pmo, 'POST', `/pmo/integration-keys/${keyId}/rotate`, { graceHours: 1 });
      const newKey = String(rotated.body.signKey);
      expect(rotated.body.clientCode).toBe(clientCode);
      const body = { redeem_code: 'PRAT-0000-0000-0000-0000' };
      const oldClient = client(gw.url, clientCode, signKey);
      const newClient = client(gw.url, clientCode, newKey);
      expect((await oldClient('payment/redeem-code/status', body)).body.code).toBe('ERR_VOUCHER_NOT_FOUND');
      expect((await newClient('payment/redeem-code/status', body)).body.code).toBe('ERR_VOUCHER_NOT_FOUND');
      const revoked = await api(gw, pmo, 'POST', `/pmo/integration-keys/${keyId}/revoke`, {
        reason: 'Rotation finished early',
      });
      expect(revoked.body.status).toBe('REVOKED');
      expect((await oldClient('payment/redeem-code/status', body)).body.code).toBe(
        'ERR_INTEGRATION_SIGNATURE_INVALID',
      );
      // Rotated with no grace: the key it replaced stops at once, the new one works.
      const read2 = await api(gw, pmo, 'GET', `/pmo/organisations/${providerId}/integration`);
      const live = (read2.body.keys as { id: string; status: string }[]).filter((k) => k.status === 'ACTIVE');
      expect(live).toHaveLength(1);
      const now = await api(gw, pmo, 'POST', `/pmo/integration-keys/${live[0]?.id}/rotate`, {
        graceHours: 0,
      });
      expect((await newClient('payment/redeem-code/status', body)).body.code).toBe(
        'ERR_INTEGRATION_SIGNATURE_INVALID',
      );
      const newest = client(gw.url, clientCode, String(now.body.signKey));
      expect((await newest('payment/redeem-code/status', body)).body.code).toBe('ERR_VOUCHER_NOT_FOUND');
      // A suspended provider is refused a commit, as on the main API.
      const code = (
        (await api(gw, provider, 'POST', '/sandbox/test-codes', { courseId: course.id, runId: course.runId }))
          .body.codes as { code: string }[]
      )[0]?.code;
      await api(gw, pmo, 'POST', `/pmo/organisations/${providerId}/suspend`, {
        reason: 'Investigating a fraud signal',
      });
      offsetMs = course.firstStart - Date.now();
      const commit = await newest('payment/redeem-code/commit', { redeem_code: code });
      expect([commit.status, commit.body.code]).toEqual([403, 'ERR_ORGANISATION_SUSPENDED']);
      await api(gw, pmo, 'POST', `/pmo/organisations/${providerId}/reinstate`, {
        reason: 'The signal was explained',
      });
      offsetMs = 0;
    });
  });
}
