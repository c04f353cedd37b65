import { createHash } from 'node:crypto';
import { AppError, type TListSignalsInput, type TSignal, type TSignalType } from '@latih/contracts';
import {
  currentSnapshot,
  type Db,
  type DetectedSignal,
  type DetectionScope,
  deleteDetectionState,
  detectDuplicateAssignments,
  detectFastCompletions,
  detectIdentityCheckFailures,
  detectionScope,
  detectLateReporting,
  detectPerfectRatingBursts,
  detectRedemptionBursts,
  detectSharedAttendance,
  detectSharedCheckouts,
  detectSharedPayoutDestinations,
  detectSharedPhones,
  detectUniformRedemptionDelays,
  findSignal,
  type GroupCounts,
  type KeyBounds,
  listSignalSubjects,
  listSignals,
  markSignalsSeen,
  providerIds,
  type ReviewerFacts,
  readDetectionState,
  readKeyBounds,
  reviewerFacts,
  type ShareChanges,
  type SignalRow,
  saveDetectionState,
  saveKeyBounds,
  signalKeysOf,
  signalsSeenAt,
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
   * One registered mobile number behind many participants: a family shares a phone for two or
   * three, an account trader registers many more on one.
   */
  SHARED_PHONE: { minParticipants: 4 },
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

/**
 * Bump when a detector's query changes what it finds: the next hourly pass is then a full one, as
 * after a change of SIGNAL_RULES.
 */
const DETECTORS_VERSION = 1;

/** The rules and detectors a pass ran with: the incremental pass only follows a pass with the same. */
export const DETECTION_RULES_VERSION = createHash('sha256')
  .update(`${DETECTORS_VERSION}:${JSON.stringify(SIGNAL_RULES)}`)
  .digest('hex')
  .slice(0, 16);

/** The detection window of the scheduled pass and of pmo.signals.detect without `since`. */
export const DETECTION_WINDOW_DAYS = 30;

type ScopeList = Exclude<keyof DetectionScope, 'implicating' | 'rows' | 'lateChanges' | 'identityChanges'>;

/**
 * Which scope list of its detector a stored signal's key belongs to, and its parts there: the
 * inverse of the keys detectAll writes. A SHARED_IP key's day is dropped: the pass re-evaluates
 * every day of a touched device address.
 */
export function scopeKeyOf(type: string, key: string): { list: ScopeList; parts: string[] } | undefined {
  const head = key.slice(0, Math.max(0, key.indexOf(':')));
  const rest = key.slice(head.length + 1);
  switch (type) {
    case 'SHARED_DEVICE':
      return { list: 'device', parts: [head, rest] };
    case 'SHARED_IP':
      return { list: 'ip', parts: [head, rest.slice(0, -11)] };
    case 'COMPLETION_TOO_FAST':
      return { list: 'fast', parts: [key] };
    case 'DUPLICATE_ASSIGNMENT':
      return { list: 'duplicate', parts: [head, rest] };
    case 'REDEMPTION_BURST':
      return { list: 'redemptionBurst', parts: [head, rest] };
    case 'PERFECT_RATING_BURST':
      return { list: 'ratingBurst', parts: [key] };
    case 'IDENTITY_CHECK_FAILURES':
      return { list: 'identity', parts: [key] };
    case 'LATE_REPORTING':
      return { list: 'late', parts: [key] };
    case 'UNIFORM_REDEMPTION_DELAY':
      return { list: 'uniform', parts: [key] };
    case 'SHARED_PAYOUT_ACCOUNT':
      return { list: 'payout', parts: [key] };
    case 'SHARED_PHONE':
      return { list: 'phone', parts: [key] };
    case 'SHARED_CHECKOUT_DEVICE': {
      const by = rest.slice(0, rest.indexOf(':'));
      const value = rest.slice(by.length + 1);
      return { list: by === 'session' ? 'checkoutSession' : 'checkoutDevice', parts: [head, value] };
    }
    default:
      return undefined;
  }
}

/** The scope with the stored signals a changed row may have left added, and a membership test. */
function withImplicated(scope: DetectionScope) {
  const sets = new Map<ScopeList, Set<string>>();
  const id = (parts: string[]) => JSON.stringify(parts);
  const lists = (Object.keys(scope) as Array<keyof DetectionScope>).filter(
    (k): k is ScopeList => Array.isArray(scope[k]) && k !== 'implicating',
  );
  for (const l of lists)
    sets.set(l, new Set((scope[l] as Array<string | string[]>).map((k) => id([k].flat()))));
  for (const [type, key] of scope.implicating) {
    const at = scopeKeyOf(type, key);
    const set = at && sets.get(at.list);
    if (!at || !set || set.has(id(at.parts))) continue;
    set.add(id(at.parts));
    (scope[at.list] as Array<string | string[]>).push(at.parts.length === 1 ? (at.parts[0] ?? '') : at.parts);
  }
  return {
    scope,
    has: (type: string, key: string) => {
      const at = scopeKeyOf(type, key);
      return at === undefined || (sets.get(at.list)?.has(id(at.parts)) ?? true);
    },
  };
}

/**
 * Runs every detector over activity since `since` and returns what each found: for every key, or
 * (the incremental pass) for the keys of `scope` only. `timings` receives each detector's ms.
 */
export async function detectAll(
  db: Db,
  since: Date,
  opts: {
    scope?: DetectionScope | undefined;
    timings?: Record<string, number>;
    /** Receives the figures of every key the share detectors evaluated (see signal_key_bounds). */
    counts?: { late: GroupCounts[]; identity: GroupCounts[] };
  } = {},
): Promise<DetectedSignal[]> {
  const found: DetectedSignal[] = [];
  const R = SIGNAL_RULES;
  const scope = opts.scope;
  /** The keys of one detector in this pass (undefined: all); none, and it does not run. */
  const keys = async <K, T>(
    name: string,
    list: K[] | undefined,
    f: (only: K[] | undefined) => Promise<T[]>,
  ) => {
    if (list && list.length === 0) return [];
    const t = performance.now();
    const out = await f(list);
    if (opts.timings) opts.timings[name] = (opts.timings[name] ?? 0) + (performance.now() - t);
    return out;
  };

  for (const g of await keys('SHARED_DEVICE', scope?.device, (only) =>
    detectSharedAttendance(db, since, 'device', R.SHARED_DEVICE.minParticipants, only),
  )) {
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
  for (const g of await keys('SHARED_IP', scope?.ip, (only) =>
    detectSharedAttendance(db, since, 'ip', R.SHARED_IP.minParticipants, only),
  )) {
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
  for (const g of await keys('COMPLETION_TOO_FAST', scope?.fast, (only) =>
    detectFastCompletions(db, since, only),
  )) {
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
  for (const g of await keys('DUPLICATE_ASSIGNMENT', scope?.duplicate, (only) =>
    detectDuplicateAssignments(db, since, only),
  )) {
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
  for (const g of await keys('REDEMPTION_BURST', scope?.redemptionBurst, (only) =>
    detectRedemptionBursts(db, since, rb.windowMinutes, rb.minRedemptions, only),
  )) {
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
  for (const g of await keys('PERFECT_RATING_BURST', scope?.ratingBurst, (only) =>
    detectPerfectRatingBursts(db, since, pr.windowMinutes, pr.minReviews, only),
  )) {
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
  for (const g of await keys('IDENTITY_CHECK_FAILURES', scope?.identity, (only) =>
    detectIdentityCheckFailures(db, since, ic.minChecks, ic.minFailureRate, only, (c) =>
      opts.counts?.identity.push(...c),
    ),
  )) {
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
  for (const g of await keys('LATE_REPORTING', scope?.late, (only) =>
    detectLateReporting(db, since, lr.lateHours, lr.minRecords, lr.minShare, only, (c) =>
      opts.counts?.late.push(...c),
    ),
  )) {
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
  for (const g of await keys('UNIFORM_REDEMPTION_DELAY', scope?.uniform, (only) =>
    detectUniformRedemptionDelays(
      db,
      since,
      ud.toleranceSeconds,
      ud.minVouchers,
      ud.aroundMinutes,
      ud.minShare,
      only,
    ),
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
  for (const g of await keys('SHARED_PAYOUT_ACCOUNT', scope?.payout, (only) =>
    detectSharedPayoutDestinations(db, since, sp.minParticipants, only),
  )) {
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
  const ph = R.SHARED_PHONE;
  for (const g of await keys('SHARED_PHONE', scope?.phone, (only) =>
    detectSharedPhones(db, since, ph.minParticipants, only),
  )) {
    // About people: the group's latest enrollment is the subject; the rows name every participant.
    if (!g.enrollment_id) continue;
    found.push({
      type: 'SHARED_PHONE',
      key: g.hash,
      subjectType: 'ENROLLMENT',
      subjectId: g.enrollment_id,
      providerId: g.provider_id,
      score: clamp(50 + 10 * (g.n - ph.minParticipants)),
      summary: `${g.n} different participants registered with one mobile number (••••${g.phone_last4 ?? ''}), with ${g.enrollments} enrollment(s) between them.`,
      scoring: `50 at ${ph.minParticipants} participants on one number, +10 for each more, at most 100 (a family sharing a phone, two or three, does not count).`,
      ...capped(g.evidence),
    });
  }
  const sc = R.SHARED_CHECKOUT_DEVICE;
  for (const by of ['device', 'session'] as const) {
    for (const g of await keys(
      'SHARED_CHECKOUT_DEVICE',
      by === 'device' ? scope?.checkoutDevice : scope?.checkoutSession,
      (only) => detectSharedCheckouts(db, since, by, sc.minParticipants, only),
    )) {
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

/**
 * Of the providers a share detector's changed rows touch, those to re-evaluate: any with a signal
 * (its figures change) or without known bounds, and the others only when what they may count now,
 * their last figures widened by every change since (a changed row may have left the group, or
 * joined it as a hit; a row the window left is gone), allows the rule to hold. The others keep
 * their widened bounds: their rule cannot hold, so a full pass would find nothing for them either.
 */
async function withinBounds(
  db: Db,
  type: 'LATE_REPORTING' | 'IDENTITY_CHECK_FAILURES',
  keys: string[],
  changes: Record<string, ShareChanges>,
) {
  const rule =
    type === 'LATE_REPORTING'
      ? { min: SIGNAL_RULES.LATE_REPORTING.minRecords, share: SIGNAL_RULES.LATE_REPORTING.minShare }
      : {
          min: SIGNAL_RULES.IDENTITY_CHECK_FAILURES.minChecks,
          share: SIGNAL_RULES.IDENTITY_CHECK_FAILURES.minFailureRate,
        };
  const bounds = await readKeyBounds(db, type, keys);
  const withSignal = await signalKeysOf(db, type, keys);
  const evaluate: string[] = [];
  const widened: KeyBounds[] = [];
  for (const key of keys) {
    const b = bounds.get(key);
    const c = changes[key] ?? { changed: 0, inGroup: 0, hits: 0, aged: 0 };
    if (!b || withSignal.has(key)) {
      evaluate.push(key);
      continue;
    }
    const next = {
      type,
      key,
      nLo: Math.max(0, b.nLo - c.changed - c.aged + c.inGroup),
      nHi: b.nHi + c.inGroup,
      hitsHi: b.hitsHi + c.hits,
    };
    // The rule needs n ≥ min and hits ≥ share × n, so hits ≥ share × max(nLo, min).
    if (next.nHi >= rule.min && next.hitsHi >= rule.share * Math.max(next.nLo, rule.min)) evaluate.push(key);
    else widened.push(next);
  }
  return { evaluate, widened };
}

/**
 * Detects and stores: new patterns become OPEN signals; known ones get fresh figures.
 *
 * `incremental` (the hourly job): after a pass over the program's window (30 days) with the same
 * rules, only the keys of rows written since that pass, or left behind by the window since, are
 * re-evaluated, each over its whole window, so what is stored is what a full pass would store:
 * the signals it would find with the same figures, evidence and implicated enrollments, and
 * lastSeenAt now for those found before whose data nothing changed. What changed is told by the
 * rows' changed_xid (the writing transaction) against the previous pass's snapshot, taken before
 * its first read: a transaction running then, or begun since, was invisible to it, so its rows are
 * read now however late it committed, never missed (the feeds page below their snapshot's xmin;
 * keeping the snapshot's list of running transactions as well means one long transaction
 * elsewhere in the cluster does not make every pass re-read all that was written since it began).
 * Otherwise (no previous pass,
 * other rules, `since` given, or not `incremental`): a full pass over every key. A pass over
 * another window than the program's forgets where the passes got to, so the next one is full.
 */
export async function runSignalDetection(opts: {
  db: Db;
  now: Date;
  since?: Date;
  incremental?: boolean;
  timings?: Record<string, number>;
}) {
  const standard = opts.since === undefined;
  const since = opts.since ?? new Date(opts.now.getTime() - DETECTION_WINDOW_DAYS * DAY);
  // Before any read: what it sees, every read after it sees; the next pass reads what it did not.
  const snapshot = await currentSnapshot(opts.db);
  const previous = standard ? await readDetectionState(opts.db) : undefined;
  const incremental =
    opts.incremental === true &&
    previous !== undefined &&
    previous.rules === DETECTION_RULES_VERSION &&
    previous.since.getTime() <= since.getTime() &&
    previous.at.getTime() <= opts.now.getTime();
  let scoped: ReturnType<typeof withImplicated> | undefined;
  let widened: { late: KeyBounds[]; identity: KeyBounds[] } = { late: [], identity: [] };
  if (incremental && previous) {
    const t = performance.now();
    const scope = await detectionScope(opts.db, {
      snapshot: previous.snapshot,
      agedFrom: previous.since,
      since,
      lateHours: SIGNAL_RULES.LATE_REPORTING.lateHours,
      uniform: SIGNAL_RULES.UNIFORM_REDEMPTION_DELAY,
    });
    const late = await withinBounds(opts.db, 'LATE_REPORTING', scope.late, scope.lateChanges);
    const identity = await withinBounds(
      opts.db,
      'IDENTITY_CHECK_FAILURES',
      scope.identity,
      scope.identityChanges,
    );
    scope.late = late.evaluate;
    scope.identity = identity.evaluate;
    widened = { late: late.widened, identity: identity.widened };
    scoped = withImplicated(scope);
    if (opts.timings) opts.timings.scope = performance.now() - t;
  }
  const shareCounts = { late: [] as GroupCounts[], identity: [] as GroupCounts[] };
  const found = await detectAll(opts.db, since, {
    scope: scoped?.scope,
    timings: opts.timings,
    counts: shareCounts,
  });
  const { created, updated, seen } = await opts.db.transaction(async (tx) => {
    const current = standard ? await readDetectionState(tx, { forUpdate: true }) : undefined;
    // Another pass stored its own since this one read where they had got to: leave its mark.
    const moved =
      previous !== undefined &&
      (current?.snapshot !== previous.snapshot || current?.at.getTime() !== previous.at.getTime());
    let seen = 0;
    if (scoped && previous && !moved) {
      const unchanged = (await signalsSeenAt(tx, previous.at)).filter((r) => !scoped.has(r.type, r.key));
      seen = await markSignalsSeen(
        tx,
        unchanged.map((r) => r.id),
        opts.now,
      );
    }
    const counts = await upsertSignals(
      tx,
      found.map((f) => ({ ...f, id: newId('signal') })),
      opts.now,
    );
    if (standard && (!scoped || !moved)) {
      // Exact figures for every key evaluated (none in the window: 0), widened ones for the skipped;
      // a full pass, every provider's (0 for one without rows in the window, so that its first
      // rows do not make the next pass re-read the month to learn what this one did).
      const providers = scoped ? [] : await providerIds(tx);
      for (const [type, evaluated, exact, skipped] of [
        ['LATE_REPORTING', scoped?.scope.late, shareCounts.late, widened.late],
        ['IDENTITY_CHECK_FAILURES', scoped?.scope.identity, shareCounts.identity, widened.identity],
      ] as const) {
        const byKey = new Map(exact.map((c) => [c.key, c]));
        const keys = evaluated ?? [...new Set([...byKey.keys(), ...providers])];
        await saveKeyBounds(
          tx,
          type,
          [
            ...keys.map((key) => {
              const c = byKey.get(key);
              return { key, nLo: c?.n ?? 0, nHi: c?.n ?? 0, hitsHi: c?.hits ?? 0 };
            }),
            ...skipped.map(({ type: _, ...b }) => b),
          ],
          { replaceAll: !scoped },
        );
      }
    }
    if (!standard) await deleteDetectionState(tx);
    else if (!scoped || !moved)
      await saveDetectionState(tx, {
        snapshot,
        at: opts.now,
        since,
        rules: DETECTION_RULES_VERSION,
        mode: scoped ? 'INCREMENTAL' : 'FULL',
      });
    return { ...counts, seen };
  });
  const byType: Record<string, number> = {};
  for (const f of found) byType[f.type] = (byType[f.type] ?? 0) + 1;
  const keys: Record<string, number> = {};
  if (scoped)
    for (const [k, v] of Object.entries(scoped.scope))
      if (Array.isArray(v) && k !== 'implicating') keys[k] = v.length;
  return {
    since: since.toISOString(),
    found: byType,
    created,
    updated,
    mode: scoped ? ('INCREMENTAL' as const) : ('FULL' as const),
    /** Incremental: the keys re-evaluated per detector, the changed or aged rows read to find them. */
    keys,
    rows: scoped?.scope.rows ?? null,
    /** Signals found before whose data did not change: seen again, not re-evaluated. */
    seen,
  };
}

export async function detectSignals(opts: {
  db: Db;
  actor: Actor;
  input: { since?: string | undefined };
  now?: Date;
}) {
  requirePmo(opts.actor);
  const now = opts.now ?? new Date();
  // Always a full pass: the way to make the stored signals whole after a doubt (or a rule change).
  const r = await runSignalDetection({
    db: opts.db,
    now,
    ...(opts.input.since ? { since: new Date(opts.input.since) } : {}),
  });
  return { since: r.since, found: r.found, created: r.created, updated: r.updated };
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
