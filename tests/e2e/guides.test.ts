import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkLedger, schema } from '@latih/db';
import { signatureHeader } from '@latih/payments/signature';
import { createLatihClient } from '@latih/sdk';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bannerText } from '../../apps/gateway/src/banner';
import { mockPayments } from '../../apps/gateway/src/payments';
import { type SandboxOptions, startTestGateway } from '../support/gateway';

/*
 * Every guide, followed as a newcomer would on a fresh `npm start`: each guide gets a gateway of its
 * own, freshly started with only its demo data, the sandbox test clock on its database and the whole
 * schedule running in-process (as `npm start` runs it). The examples run in the guide's order, and a
 * value passes from one to the next only as the guide tells the reader: the demo credentials from
 * the `export` lines in getting-started.md, a voucher code from the `export` line an example prints.
 * Nothing is set up behind the guide's back, and time moves only through the sandbox clock's API.
 */

const execFileAsync = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/** Quicker than `npm start` so that tests wait less; every job still runs, as it would there. */
const QUICK_JOBS: SandboxOptions = {
  jobIntervals: { 'webhooks.deliver': 100, 'payouts.pay': 200, 'incentives.evaluate': 300 },
};

/** The fenced block that follows `<!-- example: NAME -->` in a guide. */
function example(guide: string, name: string): string {
  const text = readFileSync(join(root, 'docs/guides', guide), 'utf8');
  const start = text.indexOf(`<!-- example: ${name} -->`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(start));
  if (start < 0 || !match?.[1]) throw new Error(`no example ${name} in ${guide}`);
  return match[1];
}

/** The variables that `export A=1 B=2` lines set (in a guide's block, or in what an example printed). */
function exportsIn(lines: string | string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of typeof lines === 'string' ? lines.split('\n') : lines) {
    const m = /^export\s+(.+)$/.exec(line.trim());
    if (!m?.[1]) continue;
    for (const pair of m[1]
      .replace(/\s#.*$/, '')
      .trim()
      .split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return out;
}

/** Runs a TypeScript example from the repository root (so '@latih/sdk' resolves); its output lines. */
async function runTs(code: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<string[]> {
  const dir = mkdtempSync(join(root, '.guide-'));
  try {
    const file = join(dir, 'example.ts');
    writeFileSync(file, code);
    const out = await execFileAsync(process.execPath, ['--import', 'tsx', file], {
      env,
      cwd: root,
      timeout: timeoutMs,
    });
    return out.stdout.trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs shell examples one after the other in one bash, as a reader pastes them into one terminal
 * (variables set by one are there for the next), in a scratch folder; its output lines. Stricter
 * than a terminal: any failing command fails the test.
 */
async function runSh(scripts: string | string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'latih-guide-'));
  try {
    const script = (Array.isArray(scripts) ? scripts : [scripts]).join('\n');
    const out = await execFileAsync('bash', ['-e', '-u', '-o', 'pipefail', '-c', script], {
      env,
      cwd: dir,
      timeout: 120_000,
    });
    return out.stdout.trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;
type MockPayments = ReturnType<typeof mockPayments>;

/** What a reader has at hand while following guides: the sandbox, and their terminal's exports. */
type Reader = {
  gw: Gateway;
  payments: MockPayments | null;
  /** The terminal's environment: getting-started's exports, then whatever a guide says to export. */
  env: NodeJS.ProcessEnv;
  /** True when this guide runs on a sandbox of its own (some checks count what the guide alone did). */
  fresh: boolean;
  /** Values a step's checks keep for a later step's (never passed to an example). */
  seen: Record<string, string>;
};
type Step = { title: string; timeoutMs?: number; run: (r: Reader) => Promise<void> };
type Guide = { file: string; payments?: boolean; steps: Step[] };

/** What the reader exports after getting-started.md §0, pointed at this gateway's port. */
function demoEnv(gw: Gateway): NodeJS.ProcessEnv {
  return { ...process.env, ...exportsIn(example('getting-started.md', 'demo-env')), LATIH_URL: gw.url };
}

const clientOf = (gw: Gateway, key: keyof Gateway['demo']) =>
  createLatihClient({
    baseUrl: gw.url,
    clientId: gw.demo[key].clientId,
    clientSecret: gw.demo[key].clientSecret,
  });

async function booksBalance(gw: Gateway) {
  const books = await checkLedger(gw.database.db);
  expect(books.unbalancedTransactions).toEqual([]);
  expect(books.balanceMismatches).toEqual([]);
  expect(books.balanced).toBe(true);
}

/** A file the reader saves, as the shell lines that write it. */
const heredoc = (file: string, body: string) =>
  `cat > ${file} <<'LATIH_EXAMPLE_END'\n${body}LATIH_EXAMPLE_END`;

/** How many of the demo platform's vouchers for the demo webinar are redeemed. */
async function redeemedWebinars(gw: Gateway): Promise<number> {
  const platform = clientOf(gw, 'platform-a');
  const webinar = (await platform.platform.catalog.list.query({ mode: 'WEBINAR', limit: 50 })).items.find(
    (c) => c.title === 'Fotografi Produk untuk Pemula',
  );
  const { items } = await platform.platform.vouchers.list.query({ status: 'REDEEMED', limit: 100 });
  return items.filter((v) => v.courseId === webinar?.id).length;
}

/** The WIB calendar day at the sandbox clock's time. */
async function wibDay(gw: Gateway): Promise<string> {
  const { now } = await clientOf(gw, 'pmo').sandbox.clock.get.query();
  return new Date(Date.parse(now) + 7 * 3_600_000).toISOString().slice(0, 10);
}

const GUIDES: Guide[] = [
  {
    file: 'getting-started.md',
    steps: [
      {
        title: 'its exports are the demo credentials that npm start prints',
        run: async ({ gw }) => {
          const exported = exportsIn(example('getting-started.md', 'demo-env'));
          expect(exported.LATIH_URL).toBe('http://localhost:3000');
          const banner = bannerText('http://localhost:3000');
          for (const [prefix, key] of [
            ['PMO', 'pmo'],
            ['PROVIDER', 'provider-a'],
            ['PLATFORM', 'platform-a'],
          ] as const) {
            expect(exported[`${prefix}_ID`]).toBe(gw.demo[key].clientId);
            expect(exported[`${prefix}_SECRET`]).toBe(gw.demo[key].clientSecret);
            expect(banner).toContain(`client_id=${gw.demo[key].clientId}`);
            expect(banner).toContain(`client_secret=${gw.demo[key].clientSecret}`);
          }
        },
      },
      {
        title: 'a token, then a call with it, in one terminal',
        run: async ({ env }) => {
          const [answer, course] = await runSh(
            [example('getting-started.md', 'token-curl'), example('getting-started.md', 'call-curl')],
            env,
          );
          expect(JSON.parse(answer ?? '')).toMatchObject({
            access_token: expect.stringMatching(/^eyJ/),
            token_type: 'Bearer',
            expires_in: 900,
          });
          expect(JSON.parse(course ?? '')).toMatchObject({
            id: expect.stringMatching(/^crs_/),
            status: 'DRAFT',
          });
        },
      },
      {
        title:
          'the token verified with independent code: header and claims as documented, signature by the JWKS',
        run: async ({ env }) => {
          const [typ, claims, lifetime, ...rest] = await runTs(
            example('getting-started.md', 'verify-token'),
            env,
          );
          expect(typ).toBe('at+jwt true');
          expect(claims).toBe('true provider catalog:read catalog:write vouchers:redeem reports:write');
          expect(lifetime).toBe('900');
          expect(rest).toEqual([]);
        },
      },
      {
        title: 'the SDK: a draft course, and a typed NOT_FOUND',
        run: async ({ env }) => {
          const [created, missing, ...rest] = await runTs(example('getting-started.md', 'call-sdk'), env);
          expect(created).toMatch(/^crs_\w+ DRAFT$/);
          expect(missing).toMatch(/^no such course req_\w+$/);
          expect(rest).toEqual([]);
        },
      },
      {
        title:
          'time in the sandbox: read, an hour on (ADVANCING, then READY), never back; a day on with the SDK',
        run: async ({ gw, env, fresh }) => {
          const before = await clientOf(gw, 'pmo').sandbox.clock.get.query();
          expect(await runSh(example('getting-started.md', 'clock-curl'), env)).toEqual([
            'READY',
            'ADVANCING',
            String(Math.round(before.offsetSeconds / 60) + 60),
            'TEST_CLOCK_BACKWARDS',
          ]);
          expect(await runTs(example('getting-started.md', 'clock-sdk'), env)).toEqual(['READY 24']);
          const after = await clientOf(gw, 'pmo').sandbox.clock.get.query();
          expect(after.status).toBe('READY');
          expect(Math.round((after.offsetSeconds - before.offsetSeconds) / 3600)).toBe(25);
          if (fresh) expect(before.offsetSeconds).toBe(0);
        },
      },
    ],
  },
  {
    file: 'provider-publish.md',
    steps: [
      {
        title: 'with curl: draft → run → review → approved → on sale',
        run: async ({ env }) => {
          expect(await runSh(example('provider-publish.md', 'curl'), env)).toEqual([
            'IN_REVIEW',
            'all indicators ok',
            'PUBLISHED',
            'OPEN',
          ]);
        },
      },
      {
        title: 'with the SDK',
        run: async ({ env }) => {
          expect(await runTs(example('provider-publish.md', 'sdk'), env)).toEqual([
            'SESSION_HOURS_MISMATCH sessions',
            'PUBLISHED OPEN',
          ]);
        },
      },
    ],
  },
  {
    file: 'marketplace-sync.md',
    steps: [
      {
        title: 'initial load and resume with the SDK, cheap polling with curl',
        run: async ({ env }) => {
          expect(await runTs(example('marketplace-sync.md', 'sync-sdk'), env)).toEqual([
            'storefront matches the catalog',
            '0 changes since the stored cursor',
          ]);
          expect(await runSh(example('marketplace-sync.md', 'sync-curl'), env)).toEqual([
            'first page read',
            '304',
          ]);
        },
      },
    ],
  },
  {
    file: 'recommendations.md',
    steps: [
      {
        title: 'a card with nothing bought through the platform, then one purchase and no completion yet',
        run: async ({ env }) => {
          expect(await runTs(example('recommendations.md', 'recommendations-sdk'), env)).toEqual([
            'NOT_FOUND',
            '0 completed, 0 recommended',
          ]);
        },
      },
    ],
  },
  {
    file: 'participants-registry.md',
    steps: [
      {
        title:
          'an import with a match, two mismatches and no answer; a re-check with the card’s name, a wrong NIK, an override, the retry',
        run: async ({ env }) => {
          expect(await runTs(example('participants-registry.md', 'registry-sdk'), env)).toEqual([
            'VERIFIED -',
            'BLOCKED NAME_MISMATCH',
            'BLOCKED NIK_NOT_FOUND',
            'PENDING REGISTRY_UNAVAILABLE',
            'VERIFIED Nama Sesuai KTP 2 checks',
            'REGISTRY_NIK_MISMATCH',
            'OVERRIDDEN Disdukcapil confirmed in writing that this NIK was issued after the last registry update',
            'VERIFIED IMPORT:UNAVAILABLE RETRY:VERIFIED',
          ]);
        },
      },
    ],
  },
  {
    file: 'skills-passport.md',
    steps: [
      {
        title:
          'after delivering training (on its own sandbox, provider-delivery.md’s examples first): a passport, verified offline, tampering caught, a revocation seen after refreshing',
        timeoutMs: 180_000,
        run: async (r) => {
          if (r.fresh) {
            // What the guide asks the reader to have done first, as provider-delivery.md says.
            Object.assign(
              r.env,
              exportsIn(await runSh(example('provider-delivery.md', 'buy-vouchers'), r.env)),
            );
            await runSh(example('provider-delivery.md', 'open-window'), r.env);
            await runSh(example('provider-delivery.md', 'delivery-curl'), r.env);
            expect(await runTs(example('provider-delivery.md', 'delivery-sdk'), r.env)).toContain(
              'COMPLETED',
            );
          }
          expect(await runTs(example('skills-passport.md', 'passport-sdk'), r.env)).toEqual([
            "OWN_SALES 1 [ 'VerifiablePresentation', 'LatihSkillsPassport' ]",
            'ALL 1',
            'true VALID',
            'BAD_SIGNATURE BAD_SIGNATURE',
            'false REVOKED',
          ]);
          // Run again, as the guide says: the only certificate is revoked, it prints the code and stops.
          expect(await runTs(example('skills-passport.md', 'passport-sdk'), r.env)).toEqual([
            'PASSPORT_EMPTY',
          ]);
          await booksBalance(r.gw);
        },
      },
    ],
  },
  {
    file: 'surveys.md',
    steps: [
      {
        title:
          'the PMO defines, the platform is refused without consent and for a participant with no completed training, results, close',
        run: async ({ env, fresh }) => {
          const out = await runTs(example('surveys.md', 'surveys-sdk'), env);
          if (fresh)
            expect(out).toEqual([
              'OPEN',
              'SURVEY_CONSENT_REQUIRED',
              'SURVEY_NOT_IN_AUDIENCE (not offered)',
              'responses: 0',
              'CLOSED',
            ]);
          else {
            // After the other guides, the voucher's participant may have completed a training.
            expect(out.slice(0, 2)).toEqual(['OPEN', 'SURVEY_CONSENT_REQUIRED']);
            expect(out[2]).toMatch(
              /^(SURVEY_NOT_IN_AUDIENCE \(not offered\)|answered \(offered\), earns (50000|0))$/,
            );
            expect(out.slice(3)).toEqual([expect.stringMatching(/^responses: (0|withheld)$/), 'CLOSED']);
          }
        },
      },
    ],
  },
  {
    file: 'communities.md',
    steps: [
      {
        title:
          'the PMO forms a community and records a Kumpul Jasa; a participant not yet an alumnus may not join',
        run: async ({ env, fresh }) => {
          const lines = await runTs(example('communities.md', 'communities-sdk'), env);
          // On its own sandbox, the demo participant of Kota Bandar Lampung (the guide's words); after
          // the other guides, whoever the platform sold its last voucher to.
          const regency = fresh ? '18.71' : (/^REGENCY (\d{2}\.\d{2})$/.exec(lines[0] ?? '')?.[1] ?? '');
          expect(lines).toEqual([
            `REGENCY ${regency}`,
            `alumnus: false; may join: ${regency}`,
            'COMMUNITY_NOT_ALUMNUS',
            'Kumpul Jasa Jadi Bisa Bareng Prakerja: 2 businesses; NIB for 1',
            `province ${regency.slice(0, 2)}: 1 community, alumni 0`,
          ]);
        },
      },
      {
        title: 'the same community over REST: a meetup recorded, the community, its members, the open count',
        run: async ({ env }) => {
          expect(await runSh(example('communities.md', 'communities-curl'), env)).toEqual([
            'MEETUP',
            '2',
            '0',
            '1',
          ]);
        },
      },
    ],
  },
  {
    file: 'checkout.md',
    steps: [
      {
        title: 'with curl and with the SDK, to the demo participant the guide exports',
        run: async (r) => {
          Object.assign(r.env, exportsIn(example('checkout.md', 'card')));
          expect(r.env.CARD_NUMBER).toBe('5101000000000001');
          expect(await runSh(example('checkout.md', 'checkout-curl'), r.env)).toEqual([
            'ISSUED',
            '2000000',
            '19',
          ]);
          expect(await runTs(example('checkout.md', 'checkout-sdk'), r.env)).toEqual([
            'OTP_INVALID',
            'ISSUED',
            'CANCELLED',
          ]);
          await booksBalance(r.gw);
        },
      },
      {
        title:
          "the participant's balance before a checkout, only with their code; no card looks different from a card",
        run: async (r) => {
          const printed = await runSh(example('checkout.md', 'balance-curl'), r.env);
          expect(printed[0]).toBe('bck_');
          // On the shared sandbox other guides may have bought with this card too.
          if (r.fresh) expect(printed.slice(1)).toEqual(['2000000', 'true']);
          else expect(printed[1]).toMatch(/^\d+$/);
        },
      },
    ],
  },
  {
    file: 'provider-delivery.md',
    steps: [
      {
        title: 'buys two vouchers as the demo platform and prints their export lines',
        run: async (r) => {
          const printed = await runSh(example('provider-delivery.md', 'buy-vouchers'), r.env);
          expect(printed).toEqual([
            expect.stringMatching(/^export VOUCHER_CODE=[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/),
            expect.stringMatching(/^export VOUCHER_CODE_2=[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/),
          ]);
          Object.assign(r.env, exportsIn(printed));
          expect(r.env.VOUCHER_CODE).not.toBe(r.env.VOUCHER_CODE_2);
        },
      },
      {
        title:
          'moves the sandbox clock to 10 minutes before the first session: the window was not open, then is',
        run: async ({ gw, env }) => {
          expect(await runSh(example('provider-delivery.md', 'open-window'), env)).toEqual([
            'REDEMPTION_WINDOW_NOT_OPEN',
            'ADVANCING',
            'READY',
          ]);
          const provider = clientOf(gw, 'provider-a');
          const check = await provider.provider.vouchers.check.mutate({ code: env.VOUCHER_CODE ?? '' });
          expect(check.redeemable).toBe(true);
          const run = await provider.provider.runs.get.query({ id: check.voucher.runId ?? '' });
          const clock = await provider.sandbox.clock.get.query();
          const untilFirst = Date.parse(run.sessions[0]?.startsAt ?? '') - Date.parse(clock.now);
          expect(untilFirst).toBeLessThanOrEqual(10 * 60_000);
          expect(untilFirst).toBeGreaterThan(5 * 60_000);
        },
      },
      {
        title: 'with curl: check, redeem, and the identity-check hand-off back to a registered URI',
        run: async ({ env }) => {
          expect(await runSh(example('provider-delivery.md', 'delivery-curl'), env)).toEqual([
            'CODE_MALFORMED',
            'true',
            '1',
            '303 https://lms.example.id/latih/return?state=sess-8c1f2a9d&result=CONFIRMED&enrollment_id=…&sequence=1',
            '410',
          ]);
        },
      },
      {
        title: 'with the SDK: completion refused, then met; the certificate verifies offline and publicly',
        run: async ({ gw, env }) => {
          expect(await runTs(example('provider-delivery.md', 'delivery-sdk'), env)).toEqual([
            'ATTENDANCE_INCOMPLETE',
            'COMPLETED',
            'true',
            'false',
            'VALID true',
          ]);
          await booksBalance(gw);
        },
      },
      {
        title: 'the class roster: what each still needs, session 1’s register, one enrollment whole',
        run: async ({ env, fresh }) => {
          const printed = await runTs(example('provider-delivery.md', 'roster-sdk'), env);
          const expected = [
            'IN_TRAINING CONFIRMED ATTENDANCE_INCOMPLETE ASSIGNMENT_MISSING POST_TEST_FAILED',
            'COMPLETED CONFIRMED -',
          ];
          // On the shared sandbox other guides' participants may sit in the same run.
          if (fresh) expect(printed.slice(0, -1)).toEqual(expected);
          else expect(printed.slice(0, -1)).toEqual(expect.arrayContaining(expected));
          expect(printed.at(-1)).toBe('FACE_MATCH - - - -');
        },
      },
    ],
  },
  {
    file: 'any-language.md',
    steps: [
      {
        title:
          'generates a typed client with openapi-typescript in a project outside the repository: checkout and redeem, errors typed',
        timeoutMs: 180_000,
        run: async ({ gw, env }) => {
          const before = await redeemedWebinars(gw);
          const printed = await runSh(
            [
              example('any-language.md', 'ts-setup'),
              'echo SETUP-DONE', // what npm said is not checked
              // The reader saves the two files into the folder the setup made and went into.
              heredoc('tsconfig.json', example('any-language.md', 'ts-config')),
              heredoc('flow.ts', example('any-language.md', 'ts-flow')),
              example('any-language.md', 'ts-card'),
              example('any-language.md', 'ts-run'),
              // Not in the guide: the project is outside the repository, and the types are precise
              // (a code redeem never answers does not compile: TS2367, no overlap).
              'node -p "require.resolve(\'openapi-fetch\')"',
              `printf "\\nif (again.error?.code === 'COURSE_INCOMPLETE') console.log('never');\\n" >> flow.ts`,
              'if npx tsc -p tsconfig.json > tsc.out; then echo COMPILED; else grep -o "error TS[0-9]*" tsc.out; fi',
            ],
            // The packages are in npm's cache (the repository's own devDependencies, same versions).
            { ...env, npm_config_prefer_offline: 'true', npm_config_loglevel: 'error' },
          );
          expect(printed.slice(0, printed.indexOf('SETUP-DONE')).filter(Boolean)).toEqual([
            expect.stringMatching(/^added \d+ packages/),
            expect.stringMatching(/^added \d+ packages/),
            expect.stringMatching(/openapi-typescript 7\.13\.0/),
            expect.stringMatching(/openapi\.json → latih\.d\.ts/),
          ]);
          printed.splice(0, printed.indexOf('SETUP-DONE') + 1);
          expect(printed.slice(0, 4)).toEqual([
            '404 NOT_FOUND cardNumber',
            'ISSUED',
            'IN_TRAINING',
            '409 VOUCHER_ALREADY_REDEEMED false',
          ]);
          expect(printed[4]).toMatch(/^\/tmp\/.*\/latih-client\/node_modules\/openapi-fetch\//);
          expect(printed[4]?.startsWith(root)).toBe(false);
          expect(printed.slice(5)).toEqual(['error TS2367']);
          expect(await redeemedWebinars(gw)).toBe(before + 1);
          await booksBalance(gw);
        },
      },
      {
        title: 'the same flow in Python with its standard library only',
        timeoutMs: 120_000,
        run: async ({ gw, env }) => {
          const before = await redeemedWebinars(gw);
          expect(
            await runSh(
              [
                heredoc('flow.py', example('any-language.md', 'py-flow')),
                example('any-language.md', 'py-card'),
                example('any-language.md', 'py-run'),
              ],
              // Where the guide's variables stay in the shell, this step's card stays in it too.
              { ...env },
            ),
          ).toEqual([
            '404 NOT_FOUND cardNumber',
            'ISSUED',
            'IN_TRAINING',
            '409 VOUCHER_ALREADY_REDEEMED False',
          ]);
          expect(await redeemedWebinars(gw)).toBe(before + 1);
          await booksBalance(gw);
        },
      },
    ],
  },
  {
    file: 'webhooks.md',
    steps: [
      {
        title: 'with the SDK: a local endpoint receives a signed event, verified and typed',
        run: async ({ env }) => {
          expect(await runTs(example('webhooks.md', 'webhooks-sdk'), env)).toEqual([
            'course.created',
            'true',
          ]);
        },
      },
      {
        title:
          'with plain HMAC (openssl): a real delivery, captured, verifies; a tampered body or an old one is refused',
        run: async ({ gw, env }) => {
          expect(
            await runSh(
              [example('webhooks.md', 'webhooks-capture'), example('webhooks.md', 'webhooks-hmac')],
              env,
            ),
          ).toEqual(['true', 't=<unix seconds>,v1=<hex>', 'signature ok', 'refuse', 'refuse']);
          // Both examples removed their endpoints: nothing is left retrying towards a receiver that is gone.
          expect((await clientOf(gw, 'provider-a').provider.webhooks.list.query()).items).toEqual([]);
        },
      },
      {
        title: 'polling events.list with curl keeps a cursor and resumes from it',
        run: async ({ env }) => {
          expect(await runSh(example('webhooks.md', 'events-curl'), env)).toEqual([
            'course.created course.created',
            'true',
          ]);
        },
      },
    ],
  },
  {
    file: 'payouts.md',
    payments: true,
    steps: [
      {
        title: 'as the demo provider the guide exports, sets its payout account',
        run: async (r) => {
          Object.assign(r.env, exportsIn(example('payouts.md', 'provider-env')));
          expect(r.env.PROVIDER_ID).toBe(r.gw.demo['provider-b'].clientId);
          expect(r.env.PROVIDER_SECRET).toBe(r.gw.demo['provider-b'].clientSecret);
          expect(await runSh(example('payouts.md', 'payout-account-curl'), r.env)).toEqual([
            'ENABLED',
            'BANK 009 ••••6789',
          ]);
          expect(r.payments?.mock.state.accounts.size).toBe(1);
        },
      },
      {
        title: 'a day of sales: two 2020-scheme participants imported, sold the course and redeemed',
        run: async (r) => {
          const before = await wibDay(r.gw);
          const printed = await runTs(example('payouts.md', 'day-of-sales'), r.env);
          r.seen.soldOn = `${before} ${await wibDay(r.gw)}`;
          expect(printed).toEqual([
            '2 participants imported',
            'IN_TRAINING IN_TRAINING',
            expect.stringMatching(/^export ENROLLMENT_ID=enr_\w+ VOUCHER_ID=vch_\w+ PARTICIPANT_ID=par_\w+$/),
          ]);
          Object.assign(r.env, exportsIn(printed));
        },
      },
      {
        title: 'overnight by the sandbox clock: the scheduled batch and payout, nothing run by hand',
        timeoutMs: 120_000,
        run: async (r) => {
          const [ready, paid, ...rest] = await runTs(example('payouts.md', 'overnight'), r.env, 120_000);
          expect(ready).toBe('READY');
          const [day = '', status, amount] = (paid ?? '').split(' ');
          expect(r.seen.soldOn?.split(' ')).toContain(day);
          expect([status, amount]).toEqual(['PAID', '900000']);
          expect(rest).toEqual([]);
          r.seen.settledDay = day;
          // The schedule made them: no organisation is the actor (nobody called settlements.run).
          const made = await clientOf(r.gw, 'pmo').pmo.audit.list.query({ action: 'settlement.created' });
          expect(made.items.length).toBeGreaterThanOrEqual(2);
          for (const row of made.items) expect(row.actorOrganisationId).toBeNull();
          if (r.fresh) {
            expect(made.items).toHaveLength(2);
            const platform = (await clientOf(r.gw, 'platform-a').platform.settlements.list.query({})).items;
            // Its commission, settled in the same batch: not paid, as the guide says, for want of an account.
            expect(platform).toMatchObject([
              {
                batchDate: day,
                amount: 100_000,
                itemCount: 2,
                status: 'FAILED',
                failure: { code: 'PAYOUT_ACCOUNT_NOT_READY' },
              },
            ]);
          }
        },
      },
      {
        title: 'the statement, with its lines',
        run: async (r) => {
          expect(await runTs(example('payouts.md', 'statements-sdk'), r.env)).toEqual([
            `${r.seen.settledDay} PAID Rp900.000 (2 vouchers)`,
            'total Rp900.000',
          ]);
        },
      },
      {
        title: 'an incentive: the first instalment paid by the scheduled jobs, the second a month later',
        timeoutMs: 300_000,
        run: async (r) => {
          expect(await runTs(example('payouts.md', 'incentive-sdk'), r.env, 300_000)).toEqual([
            'COMPLETED',
            '1/4 PAID, 2/4 ELIGIBLE, 3/4 ELIGIBLE, 4/4 ELIGIBLE',
            '1/4 PAID, 2/4 PAID, 3/4 ELIGIBLE, 4/4 ELIGIBLE',
          ]);
          await booksBalance(r.gw);
        },
      },
      {
        title:
          'the payments webhook takes only payout events signed in real time, whatever the sandbox clock says',
        run: async ({ gw, payments }) => {
          const secret = payments?.webhookSecret ?? '';
          const body = JSON.stringify({ id: 'evt_x', type: 'payout.paid', data: { object: { id: 'po_x' } } });
          const send = (headers: Record<string, string>) =>
            fetch(`${gw.url}/payments/webhook`, {
              method: 'POST',
              body,
              headers: { 'content-type': 'application/json', ...headers },
            });
          const unsigned = await send({});
          expect(unsigned.status).toBe(400);
          expect(((await unsigned.json()) as { code: string }).code).toBe('PAYMENTS_WEBHOOK_INVALID');
          // The sandbox clock is a month ahead by now; a signature is checked against the real time.
          const clock = await clientOf(gw, 'pmo').sandbox.clock.get.query();
          expect(clock.offsetSeconds).toBeGreaterThan(30 * 86_400);
          const atProgramTime = signatureHeader(body, [secret], Math.floor(Date.parse(clock.now) / 1000));
          const ahead = await send({ 'payments-signature': atProgramTime });
          expect(ahead.status).toBe(400);
          expect(((await ahead.json()) as { code: string }).code).toBe('PAYMENTS_WEBHOOK_INVALID');
          const stale = signatureHeader(body, [secret], Math.floor(Date.now() / 1000) - 600);
          expect((await send({ 'payments-signature': stale })).status).toBe(400);
          const signed = await send({
            'payments-signature': signatureHeader(body, [secret], Math.floor(Date.now() / 1000)),
          });
          expect(signed.status).toBe(200);
          expect(await signed.json()).toEqual({ received: true, duplicate: false });
        },
      },
    ],
  },
  {
    file: 'pmo.md',
    steps: [
      {
        title: 'onboarding with curl: applied, checked, approved, credentials issued',
        run: async ({ env }) => {
          expect(await runSh(example('pmo.md', 'onboarding-curl'), env)).toEqual([
            'APPLIED',
            'ACTIVE',
            'lts_',
          ]);
        },
      },
      {
        title: 'a case with the SDK: opened, evidence asked and answered by the provider, decided',
        run: async ({ env }) => {
          expect(await runTs(example('pmo.md', 'case-sdk'), env)).toEqual([
            'DECIDED WARNING',
            'control_case.opened',
            'control_case.evidence_requested',
            'control_case.evidence_answered',
            'control_case.decided',
          ]);
        },
      },
      {
        title: 'exports with curl: the audit log and open statistics as CSV',
        run: async ({ env }) => {
          expect(await runSh(example('pmo.md', 'export-curl'), env)).toEqual([
            '200 text/csv; charset=utf-8',
            'id,occurredAt,actorOrganisationId,actorClientId,action,entityType,entityId,fromState,toState,requestId,data',
            'key,label,participants,completions,certificates,incentivesPaid,incentivesPaidAmount',
          ]);
        },
      },
      {
        title: 'a participant, whole: found by NIK, the page, what the incentive waits for, the view audited',
        run: async ({ env, fresh }) => {
          const printed = await runSh(example('pmo.md', 'participant-curl'), env);
          expect(printed[0]).toBe('Budi Santoso');
          expect(printed[1]).toBe('0002');
          // Other guides on the shared sandbox may have sold him a course by now.
          if (fresh) expect(printed[2]).toBe('COMPLETED_TRAINING REVIEW PAYOUT_ACCOUNT');
          expect(printed[3]).toBe('1');
        },
      },
    ],
  },
  {
    file: 'curation.md',
    steps: [
      {
        title: 'the provider submits a course with gaps and prints the export line of its id',
        run: async (r) => {
          const printed = await runSh(example('curation.md', 'submit-curl'), r.env);
          expect(printed).toEqual([
            'SCHEDULED',
            'IN_REVIEW',
            expect.stringMatching(/^export COURSE_ID=crs_\w+$/),
          ]);
          Object.assign(r.env, exportsIn(printed));
          const review = await clientOf(r.gw, 'pmo').pmo.curation.get.query({ id: r.env.COURSE_ID ?? '' });
          expect(review).toMatchObject({ underReview: 'COURSE', course: { status: 'IN_REVIEW' } });
          expect(review.runs.map((run) => run.status)).toEqual(['SCHEDULED']);
        },
      },
      {
        title:
          'the queue page by page, oldest first, then the checklist; the guide tables every indicator and reason code',
        run: async ({ gw, env, fresh }) => {
          const printed = await runSh(example('curation.md', 'queue-curl'), env);
          const pmo = clientOf(gw, 'pmo');
          const queue = [];
          let cursor: string | undefined;
          do {
            const page = await pmo.pmo.curation.queue.query({ limit: 100, ...(cursor ? { cursor } : {}) });
            queue.push(...page.items);
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          // One line per item, every page of one item followed (waiting hours move on meanwhile).
          const listed = printed.slice(0, queue.length);
          for (const line of listed) expect(line).toMatch(/, waiting \d+(\.\d)? h$/);
          expect(listed.map((line) => line.replace(/, waiting [\d.]+ h$/, ''))).toEqual(
            queue.map((i) => `${i.kind} ${i.courseId} ${i.title} (${i.providerName}, ${i.mode})`),
          );
          expect(queue[0]).toMatchObject({ kind: 'NEW_COURSE', title: 'Tata Rias Pengantin Bugis' });
          expect(queue.at(-1)).toMatchObject({
            kind: 'NEW_COURSE',
            courseId: env.COURSE_ID,
            revisionId: null,
          });
          if (fresh) expect(queue).toHaveLength(2);
          expect(printed.slice(queue.length)).toEqual([
            'COURSE',
            '✓ SCHEME_HOURS: 15 hours',
            '✓ SCHEME_PRICE: Rp1.200.000',
            '✓ SCHEME_MODE: WEBINAR is allowed by PRAKERJA_2023',
            '✗ OUTCOMES_PRESENT: 2 learning outcomes (3 or more expected)',
            '✗ COMPETENCIES_PRESENT: 0 SKKNI units, 0 KBJI occupations',
            '✓ COMPLETION_RULE_SET: attendance ≥ 100 %, post-test 70, assignment required',
            '✗ CERTIFICATE_TEMPLATE_SET: no template',
            '✓ RUNS_SCHEDULED: 1 active run',
            '✓ SESSION_HOURS_MATCH: every run adds up to the course hours',
            '✓ VENUES_COMPLETE: no luring sessions',
            '✓ PRICE_PER_HOUR_REASONABLE: Rp80.000 per hour (band Rp10.000–Rp250.000)',
            '✓ NO_DUPLICATE: no look-alike course',
          ]);
          // The guide's tables: every indicator the API computes, every reason code the schema allows.
          const guide = readFileSync(join(root, 'docs/guides/curation.md'), 'utf8');
          const tabled = (heading: string) => {
            const from = guide.indexOf(heading);
            const section = guide.slice(from, guide.indexOf('\n## ', from + 1));
            return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
          };
          const review = await pmo.pmo.curation.get.query({ id: env.COURSE_ID ?? '' });
          expect(review.indicators).toHaveLength(12);
          expect(tabled('## 2. A review')).toEqual(review.indicators.map((i) => i.code));
          const { REJECTION_REASONS, REJECTION_REASON_MEANINGS } = await import('@latih/sdk');
          expect(tabled('### Reject')).toEqual([...REJECTION_REASONS]);
          // Each with the API's own meaning.
          for (const [code, meaning] of Object.entries(REJECTION_REASON_MEANINGS))
            expect(guide).toContain(`| \`${code}\` | ${meaning} |`);
        },
      },
      {
        title:
          'reject: a short note refused with nothing written, then reasons and note; the provider reads them, fixes and resubmits',
        run: async ({ gw, env }) => {
          expect(await runSh(example('curation.md', 'reject-curl'), env)).toEqual([
            '400 VALIDATION_FAILED note',
            '200 REJECTED',
            'REJECTED',
            'OUTCOMES_MISSING QUALITY',
            'Tambahkan minimal tiga capaian pembelajaran, kode unit SKKNI dan templat sertifikat.',
            'DRAFT',
            'IN_REVIEW',
          ]);
          const pmo = clientOf(gw, 'pmo');
          const id = env.COURSE_ID ?? '';
          const history = await pmo.pmo.audit.list.query({ entityType: 'course', entityId: id });
          expect(history.items.filter((a) => a.action === 'course.rejected')).toMatchObject([
            {
              fromState: 'IN_REVIEW',
              toState: 'REJECTED',
              data: { reasons: ['OUTCOMES_MISSING', 'QUALITY'] },
            },
          ]);
          const review = await pmo.pmo.curation.get.query({ id });
          expect(review.course).toMatchObject({ status: 'IN_REVIEW', rejection: null, version: 2 });
          expect(review.indicators.filter((i) => !i.ok)).toEqual([]);
        },
      },
      {
        title:
          "approve: published and in the platforms' catalog; approving again answers INVALID_STATE (409)",
        run: async ({ gw, env }) => {
          const id = env.COURSE_ID ?? '';
          expect(await runSh(example('curation.md', 'approve-curl'), env)).toEqual([
            'all indicators ok',
            '200 PUBLISHED',
            '409 INVALID_STATE',
            `Course ${id} has nothing in review.`,
          ]);
          const pmo = clientOf(gw, 'pmo');
          expect((await pmo.pmo.curation.get.query({ id })).course).toMatchObject({
            status: 'PUBLISHED',
            publishedAt: expect.any(String),
          });
          const history = await pmo.pmo.audit.list.query({ entityType: 'course', entityId: id });
          expect(history.items.filter((a) => a.action === 'course.approved')).toHaveLength(1);
          const listed = await clientOf(gw, 'platform-a').platform.catalog.get.query({ id });
          expect(listed).toMatchObject({ id, price: 1_200_000 });
          const { items } = await pmo.pmo.curation.queue.query({ limit: 100 });
          expect(items.map((i) => i.courseId)).not.toContain(id);
        },
      },
      {
        title:
          "suspend and reinstate with the SDK: off the platforms' catalog, a second suspension refused, on sale again",
        run: async ({ gw, env }) => {
          expect(await runTs(example('curation.md', 'suspend-sdk'), env)).toEqual([
            'SUSPENDED Pengaduan peserta: materi sesi 3 tidak sesuai silabus yang dijual',
            '404 NOT_FOUND',
            '409 INVALID_STATE',
            'PUBLISHED null',
            'Barista Kopi Nusantara untuk Kedai Rumahan',
          ]);
          const id = env.COURSE_ID ?? '';
          const history = await clientOf(gw, 'pmo').pmo.audit.list.query({
            entityType: 'course',
            entityId: id,
          });
          const decisions = history.items.filter((a) =>
            ['course.suspended', 'course.reinstated'].includes(a.action),
          );
          // Newest first: the suspension's reason is on the course while it lasts, both are in the log.
          expect(decisions.reverse()).toMatchObject([
            {
              action: 'course.suspended',
              fromState: 'PUBLISHED',
              toState: 'SUSPENDED',
              data: { reason: 'Pengaduan peserta: materi sesi 3 tidak sesuai silabus yang dijual' },
            },
            { action: 'course.reinstated', data: { reason: 'Silabus sesi 3 diperbaiki dan diperiksa' } },
          ]);
        },
      },
      {
        title:
          "an edit as a REVISION: queued, flagged, rejected while the course stays on sale; the provider's events tell it all",
        run: async ({ gw, env }) => {
          expect(await runTs(example('curation.md', 'revision-sdk'), env)).toEqual([
            'REVISION true',
            'REVISION PRICE_PER_HOUR_REASONABLE: Rp8.000 per hour (band Rp10.000–Rp250.000)',
            'PUBLISHED 1200000 REJECTED PRICE_UNREASONABLE',
            [
              'course.created course.submitted course.rejected course.updated course.submitted',
              'course.approved course.published course.suspended course.reinstated',
              'course.revision_submitted course.revision_rejected',
            ].join(' '),
          ]);
          const id = env.COURSE_ID ?? '';
          const pmo = clientOf(gw, 'pmo');
          expect(await pmo.pmo.curation.get.query({ id })).toMatchObject({
            underReview: 'NONE',
            course: { status: 'PUBLISHED', price: 1_200_000, pendingRevision: { status: 'REJECTED' } },
          });
          const { items } = await pmo.pmo.curation.queue.query({ limit: 100 });
          expect(items.map((i) => i.courseId)).not.toContain(id);
          const listed = await clientOf(gw, 'platform-a').platform.catalog.get.query({ id });
          expect(listed.price).toBe(1_200_000);
        },
      },
    ],
  },
  {
    file: 'prakerja-compatible.md',
    steps: [
      {
        title: 'the program office issues integration credentials and the provider a PRAT- test code',
        run: async (r) => {
          const creds = await runSh(example('prakerja-compatible.md', 'credentials'), r.env);
          expect(creds).toEqual([
            expect.stringMatching(/^export CLIENT_CODE=lkp\d{20} SIGN_KEY=[0-9a-f]{40}$/),
          ]);
          Object.assign(r.env, exportsIn(creds));
          const code = await runSh(example('prakerja-compatible.md', 'test-code'), r.env);
          expect(code).toEqual([
            expect.stringMatching(/^export REDEEM_CODE=PRAT-[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/),
          ]);
          Object.assign(r.env, exportsIn(code));
        },
      },
      {
        title:
          'an existing client, unchanged but for host and credentials: status, commit, task, feedback, reset',
        run: async ({ gw, env }) => {
          const printed = await runSh(
            [
              heredoc('prakerja-client.mjs', example('prakerja-compatible.md', 'client')),
              'node prakerja-client.mjs',
            ],
            env,
          );
          expect(printed).toEqual([
            'status 0 Daring mandiri (video) Pasar Kursus Digital (demo)',
            'commit true 1',
            'commit again false ERR_VOUCHER_ALREADY_REDEEMED',
            'task 1 0',
            'task 2 2',
            'reset true 0',
          ]);
          // The guide's promise: the redemption went through Latih's own path (audited with the key's id).
          const audit = await clientOf(gw, 'pmo').pmo.audit.list.query({
            action: 'voucher.redeemed',
            limit: 100,
          });
          expect(audit.items.some((a) => a.actorClientId?.startsWith('ikey_'))).toBe(true);
          await booksBalance(gw);
        },
      },
    ],
  },
  {
    file: 'provider-console.md',
    steps: [
      {
        title:
          'the demo admin adds an instructor over HTTP; the instructor signs in and is refused the statements',
        run: async ({ gw, env }) => {
          expect(await runSh(example('provider-console.md', 'staff-curl'), env)).toEqual([
            'ACTIVE',
            'provider.settlements.',
            'FORBIDDEN_ROLE',
          ]);
          // Run again, as the guide warns: the e-mail is taken, and that is all it prints.
          expect(await runSh(example('provider-console.md', 'staff-curl'), env)).toEqual([
            'STAFF_EMAIL_TAKEN',
          ]);
          // The account is the provider's, added by its admin, and only the password's hash is kept.
          const [rina] = await gw.database.db
            .select()
            .from(schema.staffUsers)
            .where(eq(schema.staffUsers.email, 'rina@cakap.latih.test'));
          expect(rina).toMatchObject({ organisationId: gw.demo['provider-a'].id, role: 'instructor' });
          expect(rina?.passwordHash).toMatch(/^scrypt\$/);
        },
      },
    ],
  },
];

/** A freshly started sandbox (as `npm start` runs it) for the steps of one describe; closed after. */
function sandboxFor(opts: { payments: boolean; fresh: boolean }): Reader {
  const reader = { fresh: opts.fresh, seen: {}, payments: null } as unknown as Reader;
  beforeAll(async () => {
    // The mock intercepts this process's fetch while it lives: made here, not while collecting.
    reader.payments = opts.payments
      ? mockPayments({ tickMs: 50, settleMs: { pending: 100, inTransit: 100 } })
      : null;
    reader.gw = await startTestGateway({
      sandbox: QUICK_JOBS,
      ...(reader.payments ? { payments: reader.payments } : {}),
    });
    reader.env = demoEnv(reader.gw);
  });
  afterAll(async () => {
    await reader.gw?.close();
  });
  return reader;
}

for (const guide of GUIDES) {
  describe(`guides: ${guide.file}, on a fresh sandbox of its own`, () => {
    const reader = sandboxFor({ payments: guide.payments === true, fresh: true });
    for (const step of guide.steps) it(step.title, () => step.run(reader), step.timeoutMs);
  });
}

describe("guides: all of them, one after another on one sandbox, in the README's order", () => {
  // The guides as the README's list of links gives them (the README mentions some earlier, too).
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const links = readme.slice(readme.indexOf('## Links'));
  const order = [...links.matchAll(/\]\(docs\/guides\/([a-z-]+\.md)\)/g)].map((m) => m[1] ?? '');

  it('the README lists every guide, and every guide in docs/guides is tested', () => {
    const files = readdirSync(join(root, 'docs/guides')).filter((f) => f.endsWith('.md'));
    expect([...order].sort()).toEqual([...files].sort());
    expect([...GUIDES.map((g) => g.file)].sort()).toEqual([...files].sort());
  });

  const reader = sandboxFor({ payments: true, fresh: false });
  for (const file of order) {
    const guide = GUIDES.find((g) => g.file === file);
    for (const step of guide?.steps ?? [])
      it(`${file}: ${step.title}`, () => step.run(reader), step.timeoutMs);
  }
});
