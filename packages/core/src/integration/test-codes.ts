import { randomInt } from 'node:crypto';
import { AppError, DEFAULT_SCOPES, ZIssueTestCodesInputSchema } from '@latih/contracts';
import { type Db, execRows, findCourseRow } from '@latih/db';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { type Actor, actorRef, requireProvider } from '../auth/actor';
import { recordChange } from '../changes';
import { notFound } from '../courses';
import { confirmCheckout, createCheckout } from '../marketplace/checkout';
import type { OtpChannel } from '../marketplace/otp';
import { importParticipants } from '../participants/import';
import type { RegistryVerifier } from '../participants/registry';

/** The program's sandbox hands out codes prefixed `PRAT-`; Latih's test codes carry it too. */
export const TEST_CODE_PREFIX = 'PRAT-';

const FIRST_NAMES = ['Sari', 'Budi', 'Dewi', 'Agus', 'Rina', 'Joko', 'Wulan', 'Hendra', 'Putri', 'Yusuf'];

function testCodeDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

/** A made-up participant: a plausible NIK (Jakarta, a 1980s–90s birth date), a fresh card number. */
function sandboxParticipant() {
  const female = randomInt(2) === 1;
  const day = 1 + randomInt(28);
  const month = 1 + randomInt(12);
  const year = 80 + randomInt(20);
  const dd = String(female ? day + 40 : day).padStart(2, '0');
  const mm = String(month).padStart(2, '0');
  return {
    // Serials 9990–9999 are the registry double's reserved ones (a mismatch on purpose).
    nik: `317101${dd}${mm}${year}${String(1 + randomInt(8999)).padStart(4, '0')}`,
    cardNumber: `5199${testCodeDigits(12)}`,
    name: `${FIRST_NAMES[randomInt(FIRST_NAMES.length)]} Peserta Uji`,
    gender: female ? ('F' as const) : ('M' as const),
    birthDate: `19${year}-${mm}-${String(day).padStart(2, '0')}`,
    regencyCode: '31.71',
  };
}

/**
 * Sandbox only: codes a provider can run its existing integration against. Each is a real voucher,
 * bought through the real checkout (a made-up participant, the first active platform, the one-time
 * code read in process) and marked `test`, so the protocol's reset may undo its redemption.
 */
export async function issueTestCodes(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZIssueTestCodesInputSchema>;
  nikKey: Buffer;
  registry: RegistryVerifier | null;
  sandbox: boolean;
  now?: Date;
}) {
  requireProvider(opts.actor);
  if (!opts.sandbox) throw new AppError('SANDBOX_DISABLED');
  const input = ZIssueTestCodesInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  const course = await findCourseRow(opts.db, input.courseId, {
    kind: 'provider',
    providerId: opts.actor.organisationId,
  });
  if (!course) throw notFound(input.courseId, 'courseId');
  const firstActive = async (kind: 'PLATFORM' | 'PMO') =>
    (
      await execRows<{ id: string }>(
        opts.db,
        sql`select id from organisations where kind = ${kind} and status = 'ACTIVE' order by id limit 1`,
      )
    )[0];
  const [platform, office] = [await firstActive('PLATFORM'), await firstActive('PMO')];
  if (!platform || !office)
    throw new AppError('INVALID_STATE', {
      message: 'The sandbox has no active platform and program office.',
    });
  const seller: Actor = {
    organisationId: platform.id,
    role: 'platform',
    clientId: opts.actor.clientId,
    scopes: [...DEFAULT_SCOPES.platform],
  };
  const pmo: Actor = { organisationId: office.id, role: 'pmo', clientId: opts.actor.clientId, scopes: [] };
  const codes = [];
  for (let attempts = 0; codes.length < input.count; attempts++) {
    if (attempts >= input.count * 5) throw new AppError('INTERNAL_ERROR');
    const person = sandboxParticipant();
    const imported = await importParticipants({
      db: opts.db,
      actor: pmo,
      requestId: opts.requestId,
      nikKey: opts.nikKey,
      registry: opts.registry,
      input: { cohort: 1, schemeId: course.schemeId, items: [person] },
      now,
    });
    const result = imported.results[0];
    if (result?.status !== 'CREATED') {
      // A made-up NIK that happened to exist already: try another person.
      continue;
    }
    if (result.registry?.status !== 'VERIFIED')
      throw new AppError('INVALID_STATE', {
        message:
          'The population registry did not verify a made-up sandbox participant: test codes need the registry double (leave REGISTRY_BASE_URL unset outside production).',
      });
    let otp = '';
    const inbox: OtpChannel = {
      send: async (m) => {
        otp = m.code;
      },
    };
    const checkout = await createCheckout({
      db: opts.db,
      actor: seller,
      requestId: opts.requestId,
      otp: inbox,
      input: {
        cardNumber: person.cardNumber,
        courseId: course.id,
        ...(input.runId ? { runId: input.runId } : {}),
      },
      now,
    });
    const bought = await confirmCheckout({
      db: opts.db,
      actor: seller,
      requestId: opts.requestId,
      input: { id: checkout.id, code: otp },
      now,
    });
    await opts.db.transaction(async (tx) => {
      await tx.execute(sql`update vouchers set test = true where id = ${bought.voucher.id}`);
      await recordChange(tx, {
        actor: actorRef(opts.actor, opts.requestId),
        action: 'voucher.test_code_issued',
        entityType: 'voucher',
        entityId: bought.voucher.id,
        fromState: null,
        toState: 'ISSUED',
        auditData: { courseId: course.id, sandbox: true },
      });
    });
    codes.push({
      code: `${TEST_CODE_PREFIX}${bought.code}`,
      voucherId: bought.voucher.id,
      participantName: person.name,
    });
  }
  return { codes };
}
