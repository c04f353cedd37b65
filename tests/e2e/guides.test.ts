import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signatureHeader } from '@latih/payments/signature';
import { createLatihClient } from '@latih/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockPayments } from '../../apps/gateway/src/payments';
import { startTestGateway } from '../support/gateway';

const execFileAsync = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/** The fenced block that follows `<!-- example: NAME -->` in a guide. */
function example(guide: string, name: string): string {
  const text = readFileSync(join(root, 'docs/guides', guide), 'utf8');
  const start = text.indexOf(`<!-- example: ${name} -->`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(start));
  if (start < 0 || !match?.[1]) throw new Error(`no example ${name} in ${guide}`);
  return match[1];
}

/** Runs a TypeScript example from the repository root (so '@latih/sdk' resolves); its output lines. */
async function runTs(code: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = mkdtempSync(join(root, '.guide-'));
  try {
    const file = join(dir, 'example.ts');
    writeFileSync(file, code);
    const out = await execFileAsync(process.execPath, ['--import', 'tsx', file], {
      env,
      cwd: root,
      timeout: 60_000,
    });
    return out.stdout.trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a shell example in a scratch folder (it may write files); its output lines. */
async function runSh(script: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'latih-guide-'));
  try {
    const out = await execFileAsync('bash', ['-c', script], { env, cwd: dir, timeout: 60_000 });
    return out.stdout.trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the guides' examples read: the gateway's URL and the demo organisations' credentials. */
function demoEnv(gw: Awaited<ReturnType<typeof startTestGateway>>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LATIH_URL: gw.url,
    PROVIDER_ID: gw.demo['provider-a'].clientId,
    PROVIDER_SECRET: gw.demo['provider-a'].clientSecret,
    PMO_ID: gw.demo.pmo.clientId,
    PMO_SECRET: gw.demo.pmo.clientSecret,
    PLATFORM_ID: gw.demo['platform-a'].clientId,
    PLATFORM_SECRET: gw.demo['platform-a'].clientSecret,
  };
}

describe('guides: the examples run as written', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    gw = await startTestGateway();
    env = demoEnv(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('pmo.md onboarding with curl: applied, checked, approved, credentials issued', async () => {
    expect(await runSh(example('pmo.md', 'onboarding-curl'), env)).toEqual(['APPLIED', 'ACTIVE', 'lts_']);
  });

  it('pmo.md case with the SDK: opened, evidence asked and answered by the provider, decided', async () => {
    expect(await runTs(example('pmo.md', 'case-sdk'), env)).toEqual([
      'DECIDED WARNING',
      'control_case.opened',
      'control_case.evidence_requested',
      'control_case.evidence_answered',
      'control_case.decided',
    ]);
  });

  it('pmo.md exports with curl: the audit log and open statistics as CSV', async () => {
    expect(await runSh(example('pmo.md', 'export-curl'), env)).toEqual([
      '200 text/csv; charset=utf-8',
      'id,occurredAt,actorOrganisationId,actorClientId,action,entityType,entityId,fromState,toState,requestId,data',
      'key,label,participants,completions,certificates,incentivesPaid,incentivesPaidAmount',
    ]);
  });

  it('provider-publish.md with curl: draft → run → review → approved → on sale', async () => {
    expect(await runSh(example('provider-publish.md', 'curl'), env)).toEqual([
      'IN_REVIEW',
      'all indicators ok',
      'PUBLISHED',
      'OPEN',
    ]);
  });

  it('provider-publish.md with the SDK', async () => {
    expect(await runTs(example('provider-publish.md', 'sdk'), env)).toEqual([
      'SESSION_HOURS_MISMATCH sessions',
      'PUBLISHED OPEN',
    ]);
  });

  it('marketplace-sync.md: initial load and resume with the SDK, cheap polling with curl', async () => {
    expect(await runTs(example('marketplace-sync.md', 'sync-sdk'), env)).toEqual([
      'storefront matches the catalog',
      '0 changes since the stored cursor',
    ]);
    expect(await runSh(example('marketplace-sync.md', 'sync-curl'), env)).toEqual(['first page read', '304']);
  });

  it('checkout.md with curl and with the SDK', async () => {
    expect(
      await runSh(example('checkout.md', 'checkout-curl'), { ...env, CARD_NUMBER: '5101000000000001' }),
    ).toEqual(['ISSUED', '2000000', '19']);
    expect(
      await runTs(example('checkout.md', 'checkout-sdk'), { ...env, CARD_NUMBER: '5101000000000002' }),
    ).toEqual(['OTP_INVALID', 'ISSUED', 'CANCELLED']);
  });
});

describe('guides: provider-delivery.md runs as written, 10 minutes before the class starts', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let env: NodeJS.ProcessEnv;
  const shift = { ms: 0 };
  beforeAll(async () => {
    gw = await startTestGateway({ now: () => Date.now() + shift.ms });
    const platform = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['platform-a'].clientId,
      clientSecret: gw.demo['platform-a'].clientSecret,
    });
    const offer = (await platform.platform.catalog.list.query({ mode: 'WEBINAR' })).items[0];
    const run = offer?.runs[0];
    if (!offer || !run) throw new Error('the demo webinar is not on sale');
    const codes: string[] = [];
    for (const cardNumber of ['5101000000000003', '5101000000000004']) {
      const checkout = await platform.platform.checkout.create.mutate({
        cardNumber,
        courseId: offer.id,
        runId: run.id,
      });
      const { code } = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as { code: string };
      codes.push((await platform.platform.checkout.confirm.mutate({ id: checkout.id, code })).code);
    }
    // Ten minutes before the first session: the redemption window is open.
    shift.ms = Date.parse(run.startsAt) - 10 * 60_000 - Date.now();
    env = { ...demoEnv(gw), VOUCHER_CODE: codes[0], VOUCHER_CODE_2: codes[1] };
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('with curl: check, redeem, and the identity-check hand-off back to a registered URI', async () => {
    expect(await runSh(example('provider-delivery.md', 'delivery-curl'), env)).toEqual([
      'CODE_MALFORMED',
      'true',
      '1',
      '303 https://lms.example.id/latih/return?state=sess-8c1f2a9d&result=CONFIRMED&enrollment_id=…&sequence=1',
      '410',
    ]);
  });

  it('with the SDK: completion refused, then met; the certificate verifies offline and publicly', async () => {
    expect(await runTs(example('provider-delivery.md', 'delivery-sdk'), env)).toEqual([
      'ATTENDANCE_INCOMPLETE',
      'COMPLETED',
      'true',
      'false',
      'VALID true',
    ]);
  });
});

describe('guides: webhooks.md', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    gw = await startTestGateway();
    env = demoEnv(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('with the SDK: a local endpoint receives a signed event, verified and typed', async () => {
    expect(await runTs(example('webhooks.md', 'webhooks-sdk'), env)).toEqual(['course.created', 'true']);
  });

  it('with plain HMAC (openssl): a real delivery verifies; a tampered body or an old one is refused', async () => {
    const latih = createLatihClient({
      baseUrl: gw.url,
      clientId: gw.demo['provider-a'].clientId,
      clientSecret: gw.demo['provider-a'].clientSecret,
    });
    const got = new Promise<{ header: string; body: Buffer }>((resolve) => {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(204).end();
          server.close();
          resolve({ header: String(req.headers['latih-signature']), body: Buffer.concat(chunks) });
        });
      });
      server.listen(0, '127.0.0.1', async () => {
        const { port } = server.address() as AddressInfo;
        const { secret } = await latih.provider.webhooks.create.mutate({
          url: `http://127.0.0.1:${port}/hook`,
          eventTypes: ['course.created'],
        });
        secretOf = secret;
        await latih.provider.courses.create.mutate({
          title: 'Membuat Konten Video Pendek',
          summary: 'Video pendek untuk promosi usaha',
          category: 'digital-marketing',
          mode: 'WEBINAR',
          hours: 16,
          price: 1_200_000,
        });
      });
    });
    let secretOf = '';
    const { header, body } = await got;
    const dir = mkdtempSync(join(tmpdir(), 'latih-hmac-'));
    try {
      writeFileSync(join(dir, 'body.json'), body);
      writeFileSync(join(dir, 'tampered.json'), Buffer.concat([body, Buffer.from(' ')]));
      const script = example('webhooks.md', 'webhooks-hmac');
      const run = (file: string, h = header) =>
        runSh(script, { ...env, HEADER: h, BODY_FILE: join(dir, file), SECRET: secretOf });
      expect(await run('body.json')).toEqual(['signature ok']);
      expect(await run('tampered.json')).toEqual(['refuse']);
      const old = header.replace(/^t=(\d+)/, (_m, t: string) => `t=${Number(t) - 600}`);
      expect(await run('body.json', old)).toEqual(['refuse']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('polling events.list with curl keeps a cursor and resumes from it', async () => {
    const [first, second] = await runSh(example('webhooks.md', 'events-curl'), env);
    expect(first).toMatch(/^course\.created( course\.created)?$/);
    expect(second).toBe('true');
  });
});

describe('guides: payouts.md, against the in-process payment mock', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let env: NodeJS.ProcessEnv;
  const shift = { ms: 0 };
  const now = () => Date.now() + shift.ms;
  const payments = mockPayments({ tickMs: 50, settleMs: { pending: 100, inTransit: 100 }, now });
  beforeAll(async () => {
    gw = await startTestGateway({ now, payments, payoutIntervalMs: 100 });
    env = {
      ...demoEnv(gw),
      PROVIDER_ID: gw.demo['provider-b'].clientId,
      PROVIDER_SECRET: gw.demo['provider-b'].clientSecret,
    };
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a provider sets its payout account, sells a day of vouchers and reads its paid statement', async () => {
    expect(await runSh(example('payouts.md', 'payout-account-curl'), env)).toEqual([
      'ENABLED',
      'BANK 009 ••••6789',
    ]);
    expect(payments.mock.state.accounts.size).toBe(1);

    // A 2020-scheme self-paced course (payable on redemption): sold by platform-a, redeemed by provider-b.
    const client = (key: 'platform-a' | 'provider-b' | 'pmo') =>
      createLatihClient({
        baseUrl: gw.url,
        clientId: gw.demo[key].clientId,
        clientSecret: gw.demo[key].clientSecret,
      });
    const platform = client('platform-a').platform;
    const offer = (await platform.catalog.list.query({ mode: 'SELF_PACED' })).items.find((c) =>
      c.title.startsWith('Pemasaran Digital'),
    );
    if (!offer) throw new Error('the demo self-paced course is not on sale');
    // Two participants of the 2020 scheme, as the PMO imports them.
    const cards = ['7000000000000101', '7000000000000102'];
    const imported = await client('pmo').pmo.participants.import.mutate({
      cohort: 12,
      schemeId: 'PRAKERJA_2020',
      items: cards.map((cardNumber, i) => ({
        nik: `327301170895910${i + 1}`,
        cardNumber,
        name: `Peserta Gelombang 12 ${i + 1}`,
        gender: 'M' as const,
        birthDate: '1995-08-17',
        regencyCode: '32.73',
      })),
    });
    expect(
      imported.results.map((r) => r.status),
      JSON.stringify(imported.results),
    ).toEqual(['CREATED', 'CREATED']);
    for (const card of cards) {
      const checkout = await platform.checkout.create.mutate({ cardNumber: card, courseId: offer.id });
      const { code } = (await (await fetch(`${gw.url}/dev/otp/${checkout.id}`)).json()) as { code: string };
      const bought = await platform.checkout.confirm.mutate({ id: checkout.id, code });
      await client('provider-b').provider.vouchers.redeem.mutate({ code: bought.code, courseId: offer.id });
    }
    // The next day, after 01:00 WIB: the PMO runs yesterday's batch (the worker would, too).
    shift.ms += 26 * 3_600_000;
    const batch = await client('pmo').pmo.settlements.run.mutate({});
    expect(batch.amount).toBe(2 * 500_000);
    const mine = async () => (await client('provider-b').provider.settlements.list.query({})).items[0];
    for (let i = 0; i < 100 && (await mine())?.status !== 'PAID'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await mine()).toMatchObject({ status: 'PAID', amount: 2 * 450_000, itemCount: 2 });

    expect(await runTs(example('payouts.md', 'statements-sdk'), env)).toEqual([
      `${batch.date} PAID Rp900.000 (2 vouchers)`,
      'total Rp900.000',
    ]);
  });

  it('the payments webhook takes only signed payout events', async () => {
    const body = JSON.stringify({ id: 'evt_x', type: 'payout.paid', data: { object: { id: 'po_x' } } });
    const unsigned = await fetch(`${gw.url}/payments/webhook`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { code: string }).code).toBe('PAYMENTS_WEBHOOK_INVALID');
    const t = Math.floor(now() / 1000);
    const signed = await fetch(`${gw.url}/payments/webhook`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'payments-signature': signatureHeader(body, [payments.webhookSecret], t),
      },
    });
    expect(signed.status).toBe(200);
    expect(await signed.json()).toEqual({ received: true, duplicate: false });
  });
});
