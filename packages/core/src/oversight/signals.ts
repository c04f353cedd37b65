import { AppError, type TListSignalsInput, type TSignal, type TSignalType } from '@latih/contracts';
import {
  type Db,
  type DetectedSignal,
  detectDuplicateAssignments,
  detectFastCompletions,
  detectIdentityCheckFailures,
  detectLateReporting,
  detectPerfectRatingBursts,
  detectRedemptionBursts,
  detectSharedAttendance,
  detectSharedCheckouts,
  detectSharedPayoutDestinations,
  detectUniformRedemptionDelays,
  findSignal,
  listSignalSubjects,
  listSignals,
  type ReviewerFacts,
  reviewerFacts,
  type SignalRow,
  updateSignal,
  upsertSignals,
} from '@latih/db';
import { type Actor, actorRef, requirePmo } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';

/**
 * The thresholds each detector uses. They are deliberately above what honest activity produces:
 * a venue's own QR device, a classroom behind one router, a popular course's reviews over a week.
 */
export const SIGNAL_RULES = {
  /** Evidence rows kept with a signal, the most telling first; the signal says how many there were. */
  EVIDENCE_ROWS: 100,
  SHARED_DEVICE: { minParticipants: 5 },
  SHARED_IP: { minParticipants: 10 },
  REDEMPTION_BURST: { windowMinutes: 10, minRedemptions: 10 },
  PERFECT_RATING_BURST: {
    windowMinutes: 60,
    minReviews: 10,
    /**
     * What tells a planted review from an honest one, each with what it adds to the review's
     * suspicion (at most 100): its participant's attendance device (a venue's own left out) or
     * address is another reviewer's in the burst; its words are those of at least
     * `duplicateTextMinReviews` reviews in the burst; enrolled in a class, not one session of it
     * confirmed; written within `quickReviewMinutes` of the completion.
     */
    markers: {
      SHARED_DEVICE: 50,
      NO_CONFIRMED_ATTENDANCE: 40,
      DUPLICATE_TEXT: 40,
      SHARED_IP: 20,
      REVIEWED_AT_COMPLETION: 15,
    },
    duplicateTextMinReviews: 3,
    quickReviewMinutes: 10,
    /** From this suspicion on, a review counts as planted-looking: one strong marker, or two weaker ones. */
    minSuspicion: 40,
  },
  IDENTITY_CHECK_FAILURES: { minChecks: 10, minFailureRate: 0.3 },
  /**
   * Attendance entered long after it happened (occurredAt): honest paper registers are typed in
   * the same day or the next; a provider whose records mostly arrive days later may be writing
   * attendance nobody took. Below the scheme's own limit (72 hours), which refuses later ones.
   */
  LATE_REPORTING: { lateHours: 24, minRecords: 20, minShare: 0.5 },
  /**
   * Account trading run by a script: vouchers bought and redeemed by one hand, each the same number
   * of seconds after its purchase. At least `minVouchers` of a provider's redemptions whose
   * purchase-to-redemption delays lie within `toleranceSeconds` of one another, and at least
   * `minShare` of those within `aroundMinutes` of that delay: people who redeem right after buying
   * spread over minutes; a class redeeming at the door at once bought on different days.
   */
  /**
   * Incentives of several participants paid into one bank account or e-wallet (a seller's buyer
   * collecting them): a couple or a parent and child may share one account, three or more is what
   * a buyer of accounts looks like.
   */
  SHARED_PAYOUT_ACCOUNT: { minParticipants: 3 },
  /**
   * One platform device or session buying for many different participants (checkouts in the
   * window): a family's shared phone buys for two or three, a seller's buyer for many more.
   */
  SHARED_CHECKOUT_DEVICE: { minParticipants: 5 },
  UNIFORM_REDEMPTION_DELAY: { toleranceSeconds: 10, minVouchers: 10, aroundMinutes: 10, minShare: 0.5 },
} as const;

export type ReviewMarker = keyof typeof SIGNAL_RULES.PERFECT_RATING_BURST.markers;

const clamp = (n: number) => Math.max(0, Math.min(100, Math.round(n)));
const DAY = 86_400_000;

/**
 * The first rows (they come most telling first), how many there were, and whom all of them
 * implicate: each enrollment once, and a participant named without an enrollment once.
 */
function capped(rows: Record<string, unknown>[]) {
  return {
    evidence: rows.slice(0, SIGNAL_RULES.EVIDENCE_ROWS),
    evidenceTotal: rows.length,
    implicated: implicatedBy(rows),
  };
}

export function implicatedBy(rows: Record<string, unknown>[]) {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const enrollments = new Set<string>();
  const withEnrollment = new Set<string>();
  for (const r of rows) {
    const p = str(r.participantId);
    if (str(r.enrollmentId) && p) withEnrollment.add(p);
  }
  const alone = new Set<string>();
  const out: Array<{ enrollmentId: string | null; participantId: string | null }> = [];
  for (const r of rows) {
    const e = str(r.enrollmentId);
    const p = str(r.participantId);
    if (e) {
      if (enrollments.has(e)) continue;
      enrollments.add(e);
      out.push({ enrollmentId: e, participantId: p });
    } else if (p && !withEnrollment.has(p) && !alone.has(p)) {
      alone.add(p);
      out.push({ enrollmentId: null, participantId: p });
    }
  }
  return out;
}

/** A span of minutes as people say it: minutes under two hours, whole hours beyond. */
function span(minutes: number) {
  return minutes < 120 ? `${minutes} minutes` : `${Math.floor(minutes / 60)} hours`;
}

/**
 * Each review of a burst with what distinguishes a planted one (see SIGNAL_RULES), its markers and
 * suspicion, the most suspicious first (then in time order).
 */
export function markReviews(
  evidence: Record<string, unknown>[],
  facts: Map<string, ReviewerFacts>,
  rules: typeof SIGNAL_RULES.PERFECT_RATING_BURST = SIGNAL_RULES.PERFECT_RATING_BURST,
) {
  const rows = evidence.map((ev) => ({ ev, f: facts.get(String(ev.reviewId)) }));
  const index = (values: (f: ReviewerFacts) => string[]) => {
    const by = new Map<string, Set<string>>();
    for (const { f } of rows)
      for (const v of f ? values(f) : []) by.set(v, (by.get(v) ?? new Set()).add(f?.participantId ?? ''));
    return by;
  };
  const byDevice = index((f) => f.devices);
  const byIp = index((f) => f.ips);
  const othersOf = (by: Map<string, Set<string>>, values: string[], me: string) => {
    const others = new Set<string>();
    for (const v of values) for (const p of by.get(v) ?? []) if (p !== me) others.add(p);
    return others.size;
  };
  const texts = new Map<string, number>();
  for (const { f } of rows) if (f) texts.set(f.textKey, (texts.get(f.textKey) ?? 0) + 1);

  const marked = rows.map(({ ev, f }) => {
    const me = f?.participantId ?? '';
    const sharesDeviceWith = f ? othersOf(byDevice, f.devices, me) : 0;
    const sharesIpWith = f ? othersOf(byIp, f.ips, me) : 0;
    const sameTextAs = f ? (texts.get(f.textKey) ?? 1) - 1 : 0;
    const markers: ReviewMarker[] = [];
    if (sharesDeviceWith > 0) markers.push('SHARED_DEVICE');
    if (f?.hasClass && f.confirmedSessions === 0) markers.push('NO_CONFIRMED_ATTENDANCE');
    if (f && sameTextAs + 1 >= rules.duplicateTextMinReviews) markers.push('DUPLICATE_TEXT');
    if (sharesIpWith > 0) markers.push('SHARED_IP');
    if (f?.minutesAfterCompletion != null && f.minutesAfterCompletion <= rules.quickReviewMinutes)
      markers.push('REVIEWED_AT_COMPLETION');
    const suspicion = Math.min(
      100,
      markers.reduce((sum, m) => sum + rules.markers[m], 0),
    );
    return {
      ...ev,
      participantId: f?.participantId ?? null,
      minutesAfterCompletion: f?.minutesAfterCompletion ?? null,
      confirmedSessions: f?.hasClass ? f.confirmedSessions : null,
      sharesDeviceWith,
      sharesIpWith,
      sameTextAs,
      textLength: f?.textLength ?? null,
      markers,
      suspicion,
      suspicious: suspicion >= rules.minSuspicion,
    };
  });
  const at = (r: Record<string, unknown>) => `${r.createdAt}:${r.reviewId}`;
  return marked.sort((a, b) => b.suspicion - a.suspicion || at(a).localeCompare(at(b)));
}

/** Runs every detector over activity since `since` and returns what each found. */
export async function detectAll(db: Db, since: Date): Promise<DetectedSignal[]> {
  const found: DetectedSignal[] = [];
  const R = SIGNAL_RULES;

  for (const g of await detectSharedAttendance(db, since, 'device', R.SHARED_DEVICE.minParticipants)) {
    found.push({
      type: 'SHARED_DEVICE',
      key: `${g.provider_id}:${g.value}`,
      subjectType: 'PROVIDER',
      subjectId: g.provider_id,
      providerId: g.provider_id,
      score: clamp(40 + 10 * (g.n - R.SHARED_DEVICE.minParticipants)),
      summary: `Device ${g.value} confirmed attendance for ${g.n} different participants (not at a venue).`,
      scoring: `40 at ${R.SHARED_DEVICE.minParticipants} participants, +10 for each more, at most 100.`,
      ...capped(g.evidence),
    });
  }
  for (const g of await detectSharedAttendance(db, since, 'ip', R.SHARED_IP.minParticipants)) {
    found.push({
      type: 'SHARED_IP',
      key: `${g.provider_id}:${g.value}:${g.day}`,
      subjectType: 'PROVIDER',
      subjectId: g.provider_id,
      providerId: g.provider_id,
      score: clamp(30 + 5 * (g.n - R.SHARED_IP.minParticipants)),
      summary: `IP address ${g.value} confirmed attendance for ${g.n} different participants on ${g.day} (WIB), not at a venue.`,
      scoring: `30 at ${R.SHARED_IP.minParticipants} participants in a day (WIB, 00:00–24:00 Asia/Jakarta), +5 for each more, at most 100 (mobile networks share addresses, so this weighs less than a shared device).`,
      ...capped(g.evidence),
    });
  }
  for (const g of await detectFastCompletions(db, since)) {
    const hours = `the course's ${g.duration_minutes / 60} hours allow (the fastest after ${Math.round((g.fastest ?? 0) * 100)} % of them)`;
    const beforeEnd = `before the class had ended (the earliest ${span(g.most_minutes_before_end ?? 0)} before its end)`;
    // A completion before its class ended is the fastest there is: it counts as time 0.
    const fastest = g.before_end > 0 ? 0 : (g.fastest ?? 1);
    const rows = [...g.evidence].sort(
      (a, b) =>
        Number(b.beforeRunEnded) - Number(a.beforeRunEnded) ||
        Number(b.minutesBeforeRunEnd ?? 0) - Number(a.minutesBeforeRunEnd ?? 0) ||
        Number(a.minutesTaken) - Number(b.minutesTaken),
    );
    found.push({
      type: 'COMPLETION_TOO_FAST',
      key: g.course_id,
      subjectType: 'COURSE',
      subjectId: g.course_id,
      providerId: g.provider_id,
      score: clamp(60 * (1 - fastest) + 10 * Math.min(g.n, 4)),
      summary:
        g.before_end === 0
          ? `${g.n} completion(s) reported sooner than ${hours}.`
          : g.fast === 0
            ? `${g.n} completion(s) reported ${beforeEnd}.`
            : `${g.n} completion(s) reported too soon: ${g.before_end} ${beforeEnd}; ${g.fast} sooner than ${hours}.`,
      scoring:
        '60 × (1 − fastest time / course hours), a completion before its class ended counting as time 0 (the full 60); +10 per completion up to 4; at most 100.',
      ...capped(rows),
    });
  }
  for (const g of await detectDuplicateAssignments(db, since)) {
    found.push({
      type: 'DUPLICATE_ASSIGNMENT',
      key: `${g.provider_id}:${g.hash}`,
      subjectType: 'PROVIDER',
      subjectId: g.provider_id,
      providerId: g.provider_id,
      score: clamp(50 + 15 * (g.n - 2)),
      summary: `The same assignment (${g.hash.slice(0, 19)}…) was handed in for ${g.n} different participants.`,
      scoring: '50 at 2 participants, +15 for each more, at most 100.',
      ...capped(g.evidence),
    });
  }
  const rb = R.REDEMPTION_BURST;
  for (const g of await detectRedemptionBursts(db, since, rb.windowMinutes, rb.minRedemptions)) {
    found.push({
      type: 'REDEMPTION_BURST',
      key: `${g.group_a}:${g.group_b}`,
      subjectType: 'PROVIDER',
      subjectId: g.group_a,
      providerId: g.group_a,
      score: clamp(40 + 4 * (g.n - rb.minRedemptions)),
      summary: `${g.n} vouchers were redeemed from IP address ${g.group_b} within ${rb.windowMinutes} minutes from ${g.start}.`,
      scoring: `40 at ${rb.minRedemptions} redemptions in ${rb.windowMinutes} minutes, +4 for each more, at most 100.`,
      ...capped(g.evidence),
    });
  }
  const pr = R.PERFECT_RATING_BURST;
  for (const g of await detectPerfectRatingBursts(db, since, pr.windowMinutes, pr.minReviews)) {
    const rows = markReviews(
      g.evidence,
      await reviewerFacts(
        db,
        g.evidence.map((r) => String(r.reviewId)),
      ),
      pr,
    );
    const marked = rows.filter((r) => r.suspicious).length;
    const counts = new Map<ReviewMarker, number>();
    for (const r of rows) for (const m of r.markers) counts.set(m, (counts.get(m) ?? 0) + 1);
    const which = [...counts].map(([m, c]) => `${m} ${c}`).join(', ');
    found.push({
      type: 'PERFECT_RATING_BURST',
      key: g.group_a,
      subjectType: 'COURSE',
      subjectId: g.group_a,
      providerId: g.group_b,
      score: clamp(20 + (60 * marked) / g.n + 5 * Math.max(0, marked - pr.minReviews)),
      summary:
        `${g.n} five-star reviews of the course within ${pr.windowMinutes} minutes from ${g.start}; ` +
        (marked === 0
          ? 'none of them shows signs of being planted.'
          : `${marked} of them show signs of being planted (listed first), ${g.n - marked} do not.`) +
        (which ? ` Markers: ${which}.` : ''),
      scoring: `20 for ${pr.minReviews} or more in ${pr.windowMinutes} minutes, + 60 × the share of them that look planted (suspicion ${pr.minSuspicion} or more: ${Object.entries(
        pr.markers,
      )
        .map(([m, w]) => `${m} ${w}`)
        .join(', ')}), +5 for each planted-looking review beyond ${pr.minReviews}, at most 100.`,
      ...capped(rows),
    });
  }
  const ic = R.IDENTITY_CHECK_FAILURES;
  for (const g of await detectIdentityCheckFailures(db, since, ic.minChecks, ic.minFailureRate)) {
    const rate = g.failed / g.n;
    found.push({
      type: 'IDENTITY_CHECK_FAILURES',
      key: g.provider_id,
      subjectType: 'PROVIDER',
      subjectId: g.provider_id,
      providerId: g.provider_id,
      score: clamp(100 * rate),
      summary: `${g.failed} of ${g.n} identity checks failed (${Math.round(rate * 100)} %).`,
      scoring: `The failure rate in percent, with at least ${ic.minChecks} checks and ${ic.minFailureRate * 100} % failing.`,
      ...capped(g.evidence),
    });
  }
  const lr = R.LATE_REPORTING;
  for (const g of await detectLateReporting(db, since, lr.lateHours, lr.minRecords, lr.minShare)) {
    const share = g.late / g.n;
    found.push({
      type: 'LATE_REPORTING',
      key: g.provider_id,
      subjectType: 'PROVIDER',
      subjectId: g.provider_id,
      providerId: g.provider_id,
      score: clamp(100 * share),
      summary: `${g.late} of ${g.n} attendance records were entered more than ${lr.lateHours} hours after they happened (${Math.round(share * 100)} %), the latest ${Math.round(g.latestHours)} hours after.`,
      scoring: `The share of late records in percent, with at least ${lr.minRecords} records and ${lr.minShare * 100} % of them more than ${lr.lateHours} hours late.`,
      ...capped(g.evidence),
    });
  }
  const ud = R.UNIFORM_REDEMPTION_DELAY;
  for (const g of await detectUniformRedemptionDelays(
    db,
    since,
    ud.toleranceSeconds,
    ud.minVouchers,
    ud.aroundMinutes,
    ud.minShare,
  )) {
    found.push({
      type: 'UNIFORM_REDEMPTION_DELAY',
      key: g.provider_id,
      subjectType: 'PROVIDER',
      subjectId: g.provider_id,
      providerId: g.provider_id,
      score: clamp(
        40 + 5 * (g.n - ud.minVouchers) + (20 * (g.n / g.around - ud.minShare)) / (1 - ud.minShare),
      ),
      summary: `${g.n} vouchers were redeemed ${Math.round(g.fromSeconds)} to ${Math.round(g.fromSeconds + g.spread)} seconds after their purchase (a spread of ${Math.round(g.spread)} s), ${g.n} of the ${g.around} redeemed within ${ud.aroundMinutes} minutes of that delay: too regular to be people.`,
      scoring: `40 at ${ud.minVouchers} vouchers within ${ud.toleranceSeconds} seconds of one delay (and ${ud.minShare * 100} % of those within ${ud.aroundMinutes} minutes of it), +5 for each more, + up to 20 as that share nears 100 %, at most 100.`,
      ...capped(g.evidence),
    });
  }
  const sp = R.SHARED_PAYOUT_ACCOUNT;
  for (const g of await detectSharedPayoutDestinations(db, since, sp.minParticipants)) {
    // About people: the group's latest enrollment is the subject; the rows name every participant.
    if (!g.enrollment_id) continue;
    const what = g.kinds.length === 1 && g.kinds[0] === 'EWALLET' ? 'e-wallet' : 'bank account';
    found.push({
      type: 'SHARED_PAYOUT_ACCOUNT',
      key: g.hash,
      subjectType: 'ENROLLMENT',
      subjectId: g.enrollment_id,
      providerId: g.provider_id,
      score: clamp(50 + 15 * (g.n - sp.minParticipants)),
      summary: `The incentives of ${g.n} different participants are paid into one ${what} (${String(g.evidence[0]?.label ?? '')}).`,
      scoring: `50 at ${sp.minParticipants} participants on one account, +15 for each more, at most 100 (two, a couple, do not count).`,
      ...capped(g.evidence),
    });
  }
  const sc = R.SHARED_CHECKOUT_DEVICE;
  for (const by of ['device', 'session'] as const) {
    for (const g of await detectSharedCheckouts(db, since, by, sc.minParticipants)) {
      // About people: the latest enrollment bought this way, else the latest course bought.
      const subject = g.enrollment_id
        ? {
            subjectType: 'ENROLLMENT' as const,
            subjectId: g.enrollment_id,
            providerId: g.enrollment_provider_id,
          }
        : { subjectType: 'COURSE' as const, subjectId: g.course_id, providerId: g.course_provider_id };
      found.push({
        type: 'SHARED_CHECKOUT_DEVICE',
        key: `${g.platform_id}:${by}:${g.value}`,
        ...subject,
        score: clamp(40 + 10 * (g.n - sc.minParticipants) + (by === 'session' ? 20 : 0)),
        summary: `${by === 'device' ? 'Device' : 'Session'} ${g.value} of platform ${g.platform_id} checked out for ${g.n} different participants (${g.checkouts} checkouts).`,
        scoring: `40 at ${sc.minParticipants} participants from one platform device or session, +10 for each more, +20 when it is one session (one sign-in buying for all), at most 100.`,
        ...capped(g.evidence),
      });
    }
  }
  return found;
}

export function toSignal(r: SignalRow): TSignal {
  return {
    id: r.id,
    type: r.type as TSignalType,
    subjectType: r.subjectType,
    subjectId: r.subjectId,
    providerId: r.providerId,
    score: r.score,
    summary: r.summary,
    scoring: r.scoring,
    evidence: r.evidence,
    // Signals stored before totals were counted: their evidence was cut at 100 rows, unsaid.
    evidenceTotal: r.evidenceTotal ?? r.evidence.length,
    evidenceTruncated:
      r.evidenceTotal == null ? r.evidence.length >= 100 : r.evidenceTotal > r.evidence.length,
    implicatedEnrollments: r.implicatedEnrollments,
    implicatedParticipants: r.implicatedParticipants,
    status: r.status,
    caseId: r.caseId,
    dismissal: r.dismissal,
    firstSeenAt: r.firstSeenAt.toISOString(),
    lastSeenAt: r.lastSeenAt.toISOString(),
  };
}

/** Detects and stores: new patterns become OPEN signals; known ones get fresh figures. */
export async function runSignalDetection(opts: { db: Db; now: Date; since?: Date }) {
  const since = opts.since ?? new Date(opts.now.getTime() - 30 * DAY);
  const found = await detectAll(opts.db, since);
  const { created, updated } = await opts.db.transaction((tx) =>
    upsertSignals(
      tx,
      found.map((f) => ({ ...f, id: newId('signal') })),
      opts.now,
    ),
  );
  const byType: Record<string, number> = {};
  for (const f of found) byType[f.type] = (byType[f.type] ?? 0) + 1;
  return { since: since.toISOString(), found: byType, created, updated };
}

export async function detectSignals(opts: {
  db: Db;
  actor: Actor;
  input: { since?: string | undefined };
  now?: Date;
}) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  return runSignalDetection({
    db: opts.db,
    now,
    ...(opts.input.since ? { since: new Date(opts.input.since) } : {}),
  });
}

export async function listSignalsFor(opts: { db: Db; actor: Actor; input: TListSignalsInput }) {
  requirePmo(opts.actor);
  const page = await listSignals(opts.db, opts.input);
  return { items: page.items.map(toSignal), nextCursor: page.nextCursor };
}

/** Whom a signal implicates, a page at a time, in the evidence's order. */
export async function listImplicated(opts: {
  db: Db;
  actor: Actor;
  input: { id: string; limit: number; cursor?: string | undefined };
}) {
  requirePmo(opts.actor);
  const row = await findSignal(opts.db, opts.input.id);
  if (!row) throw new AppError('SIGNAL_NOT_FOUND', { field: 'id' });
  const page = await listSignalSubjects(opts.db, row.id, opts.input);
  return {
    items: page.items.map((r) => ({
      enrollmentId: r.enrollmentId,
      participantId: r.participantId,
      courseId: r.courseId,
      providerId: r.providerId,
    })),
    nextCursor: page.nextCursor,
  };
}

export async function getSignal(opts: { db: Db; actor: Actor; id: string }) {
  requirePmo(opts.actor);
  const row = await findSignal(opts.db, opts.id);
  if (!row) throw new AppError('SIGNAL_NOT_FOUND', { field: 'id' });
  return toSignal(row);
}

/** The PMO looked and found nothing wrong: recorded with a reason; detection will not reopen it. */
export async function dismissSignal(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: { id: string; reason: string };
  now?: Date;
}) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const row = await findSignal(tx, opts.input.id, { forUpdate: true });
    if (!row) throw new AppError('SIGNAL_NOT_FOUND', { field: 'id' });
    if (row.status !== 'OPEN')
      throw new AppError('INVALID_STATE', { message: `Signal ${row.id} is ${row.status}.` });
    const updated = await updateSignal(tx, row.id, {
      status: 'DISMISSED',
      dismissal: { reason: opts.input.reason, at: now.toISOString() },
    });
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'signal.dismissed',
      entityType: 'signal',
      entityId: row.id,
      fromState: 'OPEN',
      toState: 'DISMISSED',
      auditData: { reason: opts.input.reason },
    });
    return toSignal(updated);
  });
}
