import {
  AppError,
  findRegency,
  type TCourseContent,
  type TScheme,
  type TSessionInput,
  ZSessionInputSchema,
} from '@latih/contracts';
import { currentScheme, type Db, findScheme, type NewSessionRow } from '@latih/db';

export async function resolveScheme(db: Db, schemeId: string | undefined, now: Date): Promise<TScheme> {
  const scheme = schemeId ? await findScheme(db, schemeId) : await currentScheme(db, now);
  if (!scheme)
    throw new AppError('SCHEME_UNKNOWN', {
      message: `No scheme ${schemeId ?? 'in force'}.`,
      field: 'schemeId',
    });
  return scheme;
}

const rupiah = (n: number) => `Rp${n.toLocaleString('id-ID')}`;

/** Every way the content breaks its scheme's rules, as the errors a request would get. */
export function schemeViolations(
  c: Pick<TCourseContent, 'hours' | 'price' | 'mode'>,
  scheme: TScheme,
): AppError[] {
  const r = scheme.rules;
  const out: AppError[] = [];
  if (r.minCourseHours !== null && c.hours < r.minCourseHours) {
    out.push(
      new AppError('SCHEME_MIN_HOURS', {
        message: `${scheme.id} needs at least ${r.minCourseHours} hours; the course has ${c.hours}.`,
        field: 'hours',
      }),
    );
  }
  if (c.price > r.trainingBalance) {
    out.push(
      new AppError('SCHEME_PRICE_ABOVE_BALANCE', {
        message: `${scheme.id}'s training balance is ${rupiah(r.trainingBalance)}; the price is ${rupiah(c.price)}.`,
        field: 'price',
      }),
    );
  }
  if (!r.allowedModes.includes(c.mode)) {
    out.push(
      new AppError('SCHEME_MODE_NOT_ALLOWED', {
        message: `${scheme.id} allows ${r.allowedModes.join(', ')}; not ${c.mode}.`,
        field: 'mode',
      }),
    );
  }
  return out;
}

export function assertSchemeRules(
  c: Pick<TCourseContent, 'hours' | 'price' | 'mode'>,
  scheme: TScheme,
): void {
  const [first] = schemeViolations(c, scheme);
  if (first) throw first;
}

export type ValidatedSessions = {
  rows: Omit<NewSessionRow, 'runId'>[];
  startsAt: Date;
  endsAt: Date;
};

/**
 * The schedule rules of a run: sequences 1…n in time order, no overlap, each in the future and
 * ending after it starts, modes that fit the course, a venue (with an official regency in the
 * session's time zone) for every luring session, and total hours equal to the course's.
 */
export function validateSessions(
  course: Pick<TCourseContent, 'mode' | 'hours'>,
  input: TSessionInput[],
  now: Date,
  fieldPrefix = 'sessions',
): ValidatedSessions {
  const sessions = input.map((s) => ZSessionInputSchema.parse(s));
  const sorted = [...sessions].sort((a, b) => a.sequence - b.sequence);
  sorted.forEach((s, i) => {
    if (s.sequence !== i + 1) {
      throw new AppError('SESSION_SEQUENCE_INVALID', {
        message: `Sequences must be 1 to ${sorted.length} without gaps or repeats.`,
        field: fieldPrefix,
      });
    }
  });
  const rows: ValidatedSessions['rows'] = [];
  let totalMinutes = 0;
  let previousEnd: Date | undefined;
  const modes = new Set<string>();
  sorted.forEach((s, i) => {
    const at = `${fieldPrefix}.${i}`;
    const startsAt = new Date(s.startsAt);
    const endsAt = new Date(s.endsAt);
    if (endsAt <= startsAt) throw new AppError('SESSION_TIMES_INVALID', { field: `${at}.endsAt` });
    if (startsAt <= now) throw new AppError('SESSION_IN_PAST', { field: `${at}.startsAt` });
    if (previousEnd && startsAt < previousEnd) {
      throw new AppError('SESSIONS_OVERLAP', {
        message: `Session ${s.sequence} starts before session ${s.sequence - 1} ends.`,
        field: `${at}.startsAt`,
      });
    }
    previousEnd = endsAt;
    const mode = sessionMode(course.mode, s.mode, at);
    modes.add(mode);
    if (mode === 'LURING') {
      if (!s.venue) throw new AppError('VENUE_REQUIRED', { field: `${at}.venue` });
      const regency = findRegency(s.venue.regencyCode);
      if (!regency) {
        throw new AppError('REGENCY_UNKNOWN', {
          message: `${s.venue.regencyCode} is not an official regency/city code.`,
          field: `${at}.venue.regencyCode`,
        });
      }
      if (regency.timeZone !== s.timeZone) {
        throw new AppError('TIME_ZONE_MISMATCH', {
          message: `${regency.name} keeps ${regency.timeZone}; the session says ${s.timeZone}.`,
          field: `${at}.timeZone`,
        });
      }
    } else if (s.venue) {
      throw new AppError('SESSION_MODE_INVALID', {
        message: 'Online sessions have no venue.',
        field: `${at}.venue`,
      });
    }
    totalMinutes += (endsAt.getTime() - startsAt.getTime()) / 60_000;
    rows.push({
      sequence: s.sequence,
      mode,
      startsAt,
      endsAt,
      timeZone: s.timeZone,
      venue: mode === 'LURING' && s.venue ? { ...s.venue } : null,
      meetingUrl: mode === 'ONLINE' ? (s.meetingUrl ?? null) : null,
      regencyCode: mode === 'LURING' ? (s.venue?.regencyCode ?? null) : null,
    });
  });
  if (course.mode === 'HYBRID' && modes.size < 2) {
    throw new AppError('SESSION_MODE_INVALID', {
      message: 'A hybrid run has both online and luring sessions.',
      field: fieldPrefix,
    });
  }
  if (Math.round(totalMinutes) !== Math.round(course.hours * 60)) {
    throw new AppError('SESSION_HOURS_MISMATCH', {
      message: `The sessions add up to ${totalMinutes / 60} hours; the course has ${course.hours}.`,
      field: fieldPrefix,
    });
  }
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last)
    throw new AppError('VALIDATION_FAILED', { message: 'A run needs sessions.', field: fieldPrefix });
  return { rows, startsAt: first.startsAt, endsAt: last.endsAt };
}

function sessionMode(courseMode: TCourseContent['mode'], given: 'ONLINE' | 'LURING' | undefined, at: string) {
  const implied = courseMode === 'WEBINAR' ? 'ONLINE' : courseMode === 'LURING' ? 'LURING' : undefined;
  if (courseMode === 'SELF_PACED') throw new AppError('RUNS_NOT_ALLOWED');
  if (implied && given && given !== implied) {
    throw new AppError('SESSION_MODE_INVALID', {
      message: `A ${courseMode} course has only ${implied} sessions.`,
      field: `${at}.mode`,
    });
  }
  const mode = implied ?? given;
  if (!mode)
    throw new AppError('SESSION_MODE_INVALID', {
      message: 'Hybrid sessions say their mode.',
      field: `${at}.mode`,
    });
  return mode;
}
