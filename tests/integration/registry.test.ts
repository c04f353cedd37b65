import { REGISTRY_RETRY_LEASE_MS, retryRegistryChecks } from '@latih/core';
import { checkLedger, schema } from '@latih/db';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { engines } from '../support/db';
import { codeOf, type Harness, TEST_NIK_KEY, useHarness } from '../support/harness';
import { buy, onSale } from '../support/marketplace-fixtures';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => codeOf(e),
  );

let serial = 1;
let born = 0;
let card = 8_100_000_000;
/** A person registered in Kota Bandung; `last4` picks one of the double's reserved serials. */
function person(last4?: string) {
  const s = last4 ?? String(serial++).padStart(4, '0');
  // Each person a birth date of their own, so that reserved serials can repeat in new NIKs.
  const day = 1 + (born % 28);
  const month = 1 + (Math.floor(born / 28) % 12);
  born++;
  const dd = String(day).padStart(2, '0');
  const mm = String(month).padStart(2, '0');
  return {
    nik: `327301${dd}${mm}95${s}`,
    cardNumber: `7${String(card++).padStart(15, '0')}`,
    name: `Peserta Registri ${s}`,
    gender: 'M' as const,
    birthDate: `1995-${mm}-${dd}`,
    regencyCode: '32.73',
    phone: '081234567890',
  };
}

const pmo = (h: Harness) => h.caller('pmo').pmo;

async function importOne(h: Harness, p: ReturnType<typeof person>) {
  const r = await pmo(h).participants.import({ cohort: 7, items: [p] });
  const item = r.results[0];
  if (item?.status !== 'CREATED' || !item.participantId) throw new Error(JSON.stringify(item));
  return { id: item.participantId, item, summary: r.summary };
}

async function queueRows(h: Harness) {
  return h.db.select().from(schema.registryQueue);
}

/** Lets registry.retry give every queued check its verdict (a day later), so tests start from an empty queue. */
async function drain(h: Harness) {
  h.registry.faults.down = false;
  await retryRegistryChecks({
    db: h.db,
    registry: h.services.registry,
    nikKey: TEST_NIK_KEY,
    now: new Date(Date.now() + 86_400_000),
    limit: 1_000,
  });
  expect(await queueRows(h)).toHaveLength(0);
}

async function books(h: Harness) {
  expect(await checkLedger(h.db)).toMatchObject({ balanced: true, balanceMismatches: [] });
}

describe.each(engines())('the population-registry check on %s', (engine) => {
  const h = useHarness(engine);

  it('import: a match is VERIFIED; a NIK not found, a name or birth date that differs and a deceased person are BLOCKED with reasons; only match flags are asked and kept', async () => {
    const ok = person();
    const notFound = person('9990');
    const name = person('9991');
    const birth = person('9992');
    const deceased = person('9993');
    const sentBefore = h.registry.state.requests.length;
    const r = await pmo(h).participants.import({ cohort: 7, items: [ok, notFound, name, birth, deceased] });
    expect(r.summary).toMatchObject({ created: 5, blocked: 4, pending: 0, error: 0 });
    expect(r.results.map((x) => x.registry)).toEqual([
      { status: 'VERIFIED', reasons: [] },
      { status: 'BLOCKED', reasons: ['NIK_NOT_FOUND'] },
      { status: 'BLOCKED', reasons: ['NAME_MISMATCH'] },
      { status: 'BLOCKED', reasons: ['BIRTH_DATE_MISMATCH'] },
      { status: 'BLOCKED', reasons: ['DECEASED'] },
    ]);
    // What left the gateway: exactly the three fields the registry compares, once per person.
    const sent = h.registry.state.requests.slice(sentBefore).map((q) => q.body);
    const expected = [ok, notFound, name, birth, deceased].map((p) => ({
      nik: p.nik,
      name: p.name,
      birthDate: p.birthDate,
    }));
    // (in flight 16 at a time: in any order)
    expect(sent).toHaveLength(expected.length);
    expect(sent).toEqual(expect.arrayContaining(expected));
    // What was kept: the status, the reason codes, the registry's reference; the name as imported.
    const ids = r.results.map((x) => x.participantId ?? '');
    const rows = await h.db
      .select()
      .from(schema.participants)
      .where(sql`${schema.participants.id} in ${ids}`);
    const byId = new Map(rows.map((p) => [p.id, p]));
    expect(byId.get(ids[2] ?? '')).toMatchObject({
      registryStatus: 'BLOCKED',
      registryReasons: ['NAME_MISMATCH'],
      name: name.name,
    });
    expect(byId.get(ids[0] ?? '')?.registryCheckedAt).toBeInstanceOf(Date);
    const view = await pmo(h).participants.registry.get({ participantId: ids[2] ?? '' });
    expect(view).toMatchObject({
      status: 'BLOCKED',
      reasons: ['NAME_MISMATCH'],
      queued: null,
      nikLast4: '9991',
    });
    expect(view.checks).toHaveLength(1);
    expect(view.checks[0]).toMatchObject({
      trigger: 'IMPORT',
      outcome: 'BLOCKED',
      reasons: ['NAME_MISMATCH'],
    });
    expect(view.checks[0]?.reference).toMatch(/^ver_/);
    // Nothing queued (every check had its verdict): no NIK kept anywhere in full.
    expect(await queueRows(h)).toHaveLength(0);
    for (const table of ['participants', 'registry_checks', 'registry_queue', 'audit_log', 'events']) {
      const dump = JSON.stringify(
        ((await h.db.execute(sql.raw(`select * from ${table}`))) as unknown as { rows: unknown[] }).rows,
      );
      for (const p of [ok, notFound, name, birth, deceased]) expect(dump, table).not.toContain(p.nik);
    }
    // Importing them again asks the registry nothing (a DUPLICATE is not checked twice).
    const again = h.registry.state.requests.length;
    const dup = await pmo(h).participants.import({ cohort: 7, items: [ok, name] });
    expect(dup.summary).toMatchObject({ created: 0, duplicate: 2 });
    expect(dup.results.map((x) => x.registry)).toEqual([null, null]);
    expect(h.registry.state.requests.length).toBe(again);
    await books(h);
  });

  it('checkout refuses BLOCKED and PENDING participants (and the balance says they cannot buy); the balance stays theirs', async () => {
    const blocked = await importOne(h, person('9991'));
    h.registry.faults.down = true;
    const pendingPerson = person();
    const pending = await importOne(h, pendingPerson);
    h.registry.faults.down = false;
    expect(pending.item.registry).toEqual({ status: 'PENDING', reasons: ['REGISTRY_UNAVAILABLE'] });
    const { course, run } = await onSale(h);
    const platform = h.caller('platformA').platform;
    const cardOf = async (id: string) =>
      (await h.db.select().from(schema.participants).where(eq(schema.participants.id, id)))[0]?.cardNumber ??
      '';
    expect(
      await code(
        platform.checkout.create({
          cardNumber: await cardOf(blocked.id),
          courseId: course.id,
          runId: run.id,
        }),
      ),
    ).toBe('PARTICIPANT_REGISTRY_BLOCKED');
    expect(
      await code(
        platform.checkout.create({
          cardNumber: await cardOf(pending.id),
          courseId: course.id,
          runId: run.id,
        }),
      ),
    ).toBe('PARTICIPANT_REGISTRY_PENDING');
    // The balance a platform may ask for (with the participant's code) says canBuy: false.
    const check = await platform.balanceChecks.start({ cardNumber: await cardOf(blocked.id) });
    const answer = await platform.balanceChecks.confirm({ id: check.id, code: h.otp.read(check.id) ?? '' });
    expect(answer).toMatchObject({ canBuy: false, balance: 3_500_000 });
    // Nothing was sold or held.
    expect((await h.caller('providerA').provider.runs.get({ id: run.id })).seatsTaken).toBe(0);
    await books(h);
    await drain(h);
  });

  it('an outage queues the check (sealed), registry.retry backs off while it lasts and applies the verdict once it ends', async () => {
    h.registry.faults.down = true;
    const p = person();
    const { id } = await importOne(h, p);
    const [queued] = (await queueRows(h)).filter((q) => q.participantId === id);
    expect(queued).toMatchObject({ attempts: 0, lastError: 'service_unavailable' });
    expect(queued?.sealed).not.toContain(p.nik);
    expect(queued?.sealed).not.toContain(p.name);
    const t0 = queued?.createdAt.getTime() ?? 0;

    // Not due yet: nothing is asked.
    const asked = h.registry.state.requests.length;
    expect(
      await retryRegistryChecks({
        db: h.db,
        registry: h.services.registry,
        nikKey: TEST_NIK_KEY,
        now: new Date(t0 + 1_000),
      }),
    ).toMatchObject({ claimed: 0 });
    // Due, still down: deferred, never passed.
    const down = await retryRegistryChecks({
      db: h.db,
      registry: h.services.registry,
      nikKey: TEST_NIK_KEY,
      now: new Date(t0 + 31_000),
    });
    expect(down).toMatchObject({ claimed: 1, unavailable: 1, verified: 0 });
    const [deferred] = (await queueRows(h)).filter((q) => q.participantId === id);
    expect(deferred?.attempts).toBe(1);
    expect(deferred?.nextAttemptAt.getTime()).toBe(t0 + 31_000 + 30_000);
    expect((await pmo(h).participants.registry.get({ participantId: id })).status).toBe('PENDING');

    // The registry is back: the verdict lands, the sealed NIK is deleted, the participant can buy.
    h.registry.faults.down = false;
    const up = await retryRegistryChecks({
      db: h.db,
      registry: h.services.registry,
      nikKey: TEST_NIK_KEY,
      now: new Date(t0 + 62_000),
    });
    expect(up).toMatchObject({ claimed: 1, verified: 1 });
    expect(h.registry.state.requests.length).toBe(asked + 1);
    expect((await queueRows(h)).filter((q) => q.participantId === id)).toHaveLength(0);
    const view = await pmo(h).participants.registry.get({ participantId: id });
    expect(view).toMatchObject({ status: 'VERIFIED', reasons: [], queued: null });
    expect(view.checks.map((c) => [c.trigger, c.outcome, c.note])).toEqual([
      ['IMPORT', 'UNAVAILABLE', 'service_unavailable'],
      ['RETRY', 'VERIFIED', null],
    ]);
    const { course, run } = await onSale(h);
    expect((await buy(h, p.cardNumber, course.id, run.id)).voucher.status).toBe('ISSUED');
    await books(h);
  });

  it('a slow registry never holds an import: what has no verdict within the budget is PENDING; no registry at all queues everyone', async () => {
    const { importParticipants } = await import('@latih/core');
    const actor = {
      organisationId: h.orgs.pmo.organisationId,
      role: 'pmo' as const,
      clientId: 'cli_test',
      scopes: [],
    };
    h.registry.faults.latencyMs = [300, 300];
    const slow = await importParticipants({
      db: h.db,
      actor,
      requestId: null,
      nikKey: TEST_NIK_KEY,
      registry: h.services.registry,
      registryBudgetMs: 50,
      input: { cohort: 7, items: [person(), person()] },
    });
    h.registry.faults.latencyMs = [0, 2];
    // The two slow answers still come (and are dropped); let them, so later counts are this test's.
    await new Promise((r) => setTimeout(r, 400));
    expect(slow.summary).toMatchObject({ created: 2, pending: 2 });
    const none = await importParticipants({
      db: h.db,
      actor,
      requestId: null,
      nikKey: TEST_NIK_KEY,
      registry: null,
      input: { cohort: 7, items: [person()] },
    });
    expect(none.results[0]?.registry).toEqual({ status: 'PENDING', reasons: ['REGISTRY_UNAVAILABLE'] });
    const queued = (await queueRows(h)).filter((q) =>
      [...slow.results, ...none.results].some((r) => r.participantId === q.participantId),
    );
    expect(queued.map((q) => q.lastError).sort()).toEqual([
      'budget_exhausted',
      'budget_exhausted',
      'not_configured',
    ]);
    // The job without a registry asks nothing and leaves them waiting.
    expect(
      await retryRegistryChecks({
        db: h.db,
        registry: null,
        nikKey: TEST_NIK_KEY,
        now: new Date(Date.now() + 3_600_000),
      }),
    ).toMatchObject({ claimed: 0 });
    // Clear them so later tests start from an empty queue.
    const r = await retryRegistryChecks({
      db: h.db,
      registry: h.services.registry,
      nikKey: TEST_NIK_KEY,
      now: new Date(Date.now() + 3_600_000),
    });
    expect(r).toMatchObject({ claimed: 3, verified: 3 });
  });

  it('the PMO re-checks with the NIK (a wrong one is refused) and a corrected name; the match is VERIFIED and the name stored', async () => {
    const p = person('9991');
    const { id } = await importOne(h, p);
    expect(await code(pmo(h).participants.registry.recheck({ participantId: id, nik: person().nik }))).toBe(
      'REGISTRY_NIK_MISMATCH',
    );
    expect(await code(pmo(h).participants.registry.recheck({ participantId: id }))).toBe('VALIDATION_FAILED');
    // Still a mismatch with the same name: BLOCKED again, a second check in the history.
    const same = await pmo(h).participants.registry.recheck({ participantId: id, nik: p.nik });
    expect(same).toMatchObject({ status: 'BLOCKED', reasons: ['NAME_MISMATCH'] });
    // The registry's record (the double's) has the name as on the identity card.
    h.registry.state.people.set(p.nik, { name: 'SITI RAHAYU', birthDate: p.birthDate });
    const fixed = await pmo(h).participants.registry.recheck({
      participantId: id,
      nik: p.nik,
      name: 'Siti Rahayu',
    });
    expect(fixed).toMatchObject({ status: 'VERIFIED', reasons: [], name: 'Siti Rahayu' });
    expect(fixed.checks.map((c) => [c.trigger, c.outcome])).toEqual([
      ['IMPORT', 'BLOCKED'],
      ['RECHECK', 'BLOCKED'],
      ['RECHECK', 'VERIFIED'],
    ]);
    expect(fixed.checks[2]?.by?.organisationId).toBe(h.orgs.pmo.organisationId);
    const audit = await h.db
      .select({ action: schema.auditLog.action, to: schema.auditLog.toState })
      .from(schema.auditLog)
      .where(eq(schema.auditLog.entityId, id));
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'participant.imported',
        'participant.registry_blocked',
        'participant.registry_verified',
      ]),
    );
    // A re-check during an outage of a blocked participant queues it; of a verified one keeps it VERIFIED.
    h.registry.faults.down = true;
    const kept = await pmo(h).participants.registry.recheck({ participantId: id, nik: p.nik });
    expect(kept).toMatchObject({ status: 'VERIFIED', queued: null });
    expect(kept.checks.at(-1)).toMatchObject({ trigger: 'RECHECK', outcome: 'UNAVAILABLE' });
    const other = person('9992');
    h.registry.faults.down = false;
    const b = await importOne(h, other);
    h.registry.faults.down = true;
    const queued = await pmo(h).participants.registry.recheck({ participantId: b.id, nik: other.nik });
    h.registry.faults.down = false;
    expect(queued.status).toBe('PENDING');
    expect(queued.queued).toMatchObject({ attempts: 0, lastError: 'service_unavailable' });
    // While queued, a re-check needs no NIK (the queued, sealed one is used).
    const again = await pmo(h).participants.registry.recheck({ participantId: b.id });
    expect(again).toMatchObject({ status: 'BLOCKED', reasons: ['BIRTH_DATE_MISMATCH'], queued: null });
  });

  it('the PMO overrides a blocked or pending participant with a recorded reason; they can buy; the queued check is dropped', async () => {
    const p = person('9992');
    const { id } = await importOne(h, p);
    expect(await code(pmo(h).participants.registry.override({ participantId: id, reason: 'short' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      await code(
        h
          .caller('platformA')
          .pmo.participants.registry.override({ participantId: id, reason: 'a long enough reason' }),
      ),
    ).toBe('FORBIDDEN_ROLE');
    const reason =
      'Birth date on the registry is a known data-entry error (letter from Disdukcapil Kota Bandung)';
    const o = await pmo(h).participants.registry.override({ participantId: id, reason });
    expect(o).toMatchObject({ status: 'OVERRIDDEN', reasons: ['BIRTH_DATE_MISMATCH'] });
    expect(o.checks.at(-1)).toMatchObject({
      trigger: 'OVERRIDE',
      outcome: 'OVERRIDDEN',
      note: reason,
      by: { organisationId: h.orgs.pmo.organisationId },
    });
    expect(await code(pmo(h).participants.registry.override({ participantId: id, reason }))).toBe(
      'REGISTRY_NOT_OPEN',
    );
    const { course, run } = await onSale(h);
    expect((await buy(h, p.cardNumber, course.id, run.id)).voucher.status).toBe('ISSUED');

    // A pending one: overridden, its queued check (and sealed NIK) deleted; a later retry asks nothing.
    h.registry.faults.down = true;
    const q = person();
    const pending = await importOne(h, q);
    h.registry.faults.down = false;
    await pmo(h).participants.registry.override({ participantId: pending.id, reason });
    expect((await queueRows(h)).filter((r) => r.participantId === pending.id)).toHaveLength(0);
    const asked = h.registry.state.requests.length;
    await retryRegistryChecks({
      db: h.db,
      registry: h.services.registry,
      nikKey: TEST_NIK_KEY,
      now: new Date(Date.now() + 86_400_000),
    });
    expect(h.registry.state.requests.length).toBe(asked);
    expect(
      await code(pmo(h).participants.registry.get({ participantId: 'par_01jz8k6d3v7m2r5w9x4q1t0abc' })),
    ).toBe('NOT_FOUND');
    await books(h);
  });

  it('lists the work by status, a page at a time', async () => {
    const first = await pmo(h).participants.registry.list({ status: 'BLOCKED', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const rest = await pmo(h).participants.registry.list({
      status: 'BLOCKED',
      limit: 100,
      cursor: first.nextCursor ?? '',
    });
    const all = [...first.items, ...rest.items];
    expect(all.every((i) => i.status === 'BLOCKED' && i.reasons.length > 0)).toBe(true);
    expect(new Set(all.map((i) => i.participantId)).size).toBe(all.length);
    const overridden = await pmo(h).participants.registry.list({ status: 'OVERRIDDEN' });
    expect(overridden.items.length).toBeGreaterThanOrEqual(2);
    expect(await code(pmo(h).participants.registry.list({ status: 'BLOCKED', cursor: 'not-a-cursor' }))).toBe(
      'VALIDATION_FAILED',
    );
    const blocked = person('9990');
    await importOne(h, blocked);
    const search = await pmo(h).participants.search({ nik: blocked.nik });
    expect(search.items[0]?.registryStatus).toBe('BLOCKED');
  });

  it('retries racing on many connections ask the registry once per queued participant', async () => {
    h.registry.faults.down = true;
    const items = Array.from({ length: 40 }, () => person());
    const r = await pmo(h).participants.import({ cohort: 7, items });
    h.registry.faults.down = false;
    expect(r.summary.pending).toBe(40);
    const asked = h.registry.state.requests.length;
    const at = new Date(Date.now() + 3_600_000);
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        retryRegistryChecks({
          db: h.db,
          registry: h.services.registry,
          nikKey: TEST_NIK_KEY,
          now: at,
          limit: 10,
        }),
      ),
    );
    // Whatever the six claimed between them, each participant was asked about once.
    const claimed = runs.reduce((s, x) => s + x.claimed, 0);
    expect(h.registry.state.requests.length - asked).toBe(claimed);
    // A second round later (past the lease) finishes the rest; nobody is asked twice.
    await retryRegistryChecks({
      db: h.db,
      registry: h.services.registry,
      nikKey: TEST_NIK_KEY,
      now: new Date(at.getTime() + REGISTRY_RETRY_LEASE_MS + 1),
      limit: 100,
    });
    expect(h.registry.state.requests.length - asked).toBe(40);
    const ids = r.results.map((x) => x.participantId ?? '');
    const statuses = await h.db
      .select({ s: schema.participants.registryStatus })
      .from(schema.participants)
      .where(sql`${schema.participants.id} in ${ids}`);
    expect(statuses.every((x) => x.s === 'VERIFIED')).toBe(true);
    expect(await queueRows(h)).toHaveLength(0);
  });
});
