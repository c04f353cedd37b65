import { randomBytes } from 'node:crypto';
import { hashPhone, newId } from '@latih/core';
import { schema } from '@latih/db';
import type { Harness } from './harness';

/*
 * Planted data for the oversight tests: rows written straight into the tables, so a test can put
 * a pattern (or its honest look-alike) exactly where and when it wants, in milliseconds.
 */

let serial = 0;
const rand = () => randomBytes(8).toString('hex');

export async function plantProvider(h: Harness, name = 'Lembaga Uji') {
  const id = newId('organisation');
  await h.db.insert(schema.organisations).values({ id, kind: 'PROVIDER', name, status: 'ACTIVE' });
  return id;
}

export async function plantCourse(
  h: Harness,
  providerId: string,
  opts: {
    hours?: number;
    mode?: 'SELF_PACED' | 'WEBINAR' | 'LURING';
    category?: string;
    price?: number;
  } = {},
) {
  const id = newId('course');
  await h.db.insert(schema.courses).values({
    id,
    providerId,
    status: 'PUBLISHED',
    title: `Kursus ${++serial}`,
    summary: 'Ringkasan kursus uji',
    description: 'Deskripsi kursus uji',
    category: opts.category ?? 'digital-marketing',
    mode: opts.mode ?? 'SELF_PACED',
    durationMinutes: (opts.hours ?? 15) * 60,
    price: opts.price ?? 1_000_000,
    language: 'id',
    publishedAt: new Date(),
  });
  return id;
}

/** A class (run) of a course, from `startsAt` to `endsAt`. */
export async function plantRun(
  h: Harness,
  o: { providerId: string; courseId: string; startsAt: Date; endsAt: Date },
) {
  const id = newId('run');
  await h.db.insert(schema.runs).values({
    id,
    courseId: o.courseId,
    providerId: o.providerId,
    status: o.endsAt.getTime() > Date.now() ? 'RUNNING' : 'FINISHED',
    capacity: 100,
    startsAt: o.startsAt,
    endsAt: o.endsAt,
  });
  return id;
}

export type Planted = { enrollmentId: string; participantId: string; voucherId: string };

/** A participant, a voucher and its enrollment, redeemed at `redeemedAt` (and more, as given). */
export async function plantEnrollment(
  h: Harness,
  o: {
    providerId: string;
    courseId: string;
    /** The class it belongs to (none: self-paced). */
    runId?: string;
    redeemedAt: Date;
    /**
     * When the voucher was bought; by default 30 to 60 minutes before the redemption, varied as
     * people vary (an exact offset is what UNIFORM_REDEMPTION_DELAY looks for).
     */
    issuedAt?: Date;
    redeemedIp?: string;
    completedAt?: Date;
    status?: 'IN_TRAINING' | 'COMPLETED' | 'NOT_COMPLETED';
    /** The voucher was cancelled (refunded) at this time instead of being redeemed. */
    cancelledAt?: Date;
    platformId?: string;
    assignmentHash?: string;
    gender?: 'M' | 'F';
    birthDate?: string;
    regencyCode?: string;
    cohort?: number;
    price?: number;
    /** The mobile number the participant registered with (kept hashed, as the import keeps it). */
    phone?: string;
    /** Another voucher of a participant planted before (their history); a new participant if not. */
    participantId?: string;
    /** A new participant's last four NIK digits (by default the planting serial, zero-padded). */
    nikLast4?: string;
  },
): Promise<Planted> {
  const n = ++serial;
  const participantId = o.participantId ?? newId('participant');
  if (!o.participantId)
    await h.db.insert(schema.participants).values({
      id: participantId,
      nikHash: `planted-${rand()}`,
      nikLast4: o.nikLast4 ?? String(n % 10000).padStart(4, '0'),
      cardNumber: `9${rand()}`,
      name: `Peserta Tanam ${n}`,
      gender: o.gender ?? 'F',
      birthDate: o.birthDate ?? '1998-03-01',
      regencyCode: o.regencyCode ?? '32.73',
      cohort: o.cohort ?? 77,
      schemeId: 'PRAKERJA_2023',
      status: 'ACTIVE',
      balance: 0,
      purchaseDeadline: new Date(o.redeemedAt.getTime() + 86_400_000),
      ...(o.phone
        ? { phoneHash: hashPhone(h.services.nikHashKey, o.phone), phoneLast4: o.phone.slice(-4) }
        : {}),
    });
  const voucherId = newId('voucher');
  const status = o.status ?? (o.completedAt ? 'COMPLETED' : 'IN_TRAINING');
  await h.db.insert(schema.vouchers).values({
    id: voucherId,
    codeHash: `planted-${rand()}`,
    codeLast4: 'ABCD',
    participantId,
    platformId: o.platformId ?? h.orgs.platformA.organisationId,
    providerId: o.providerId,
    courseId: o.courseId,
    runId: o.runId ?? null,
    checkoutId: newId('checkout'),
    price: o.price ?? 1_000_000,
    status: o.cancelledAt ? 'CANCELLED' : status === 'IN_TRAINING' ? 'REDEEMED' : status,
    expiresAt: new Date(o.redeemedAt.getTime() + 30 * 86_400_000),
    issuedAt: o.issuedAt ?? new Date(o.redeemedAt.getTime() - 1_800_000 - ((n * 1_113_000) % 1_800_000)),
    redeemedAt: o.cancelledAt ? null : o.redeemedAt,
    closedAt: o.cancelledAt ?? o.completedAt ?? null,
  });
  if (o.cancelledAt) return { enrollmentId: '', participantId, voucherId };
  const enrollmentId = newId('enrollment');
  await h.db.insert(schema.enrollments).values({
    id: enrollmentId,
    voucherId,
    participantId,
    providerId: o.providerId,
    courseId: o.courseId,
    runId: o.runId ?? null,
    status,
    redeemedAt: o.redeemedAt,
    redeemedIp: o.redeemedIp ?? null,
    completedAt: o.completedAt ?? null,
    assignmentHash: o.assignmentHash ?? null,
    assignmentSubmittedAt: o.assignmentHash ? (o.completedAt ?? o.redeemedAt) : null,
    assignmentUrl: o.assignmentHash ? 'https://drive.example.id/tugas' : null,
  });
  return { enrollmentId, participantId, voucherId };
}

export async function plantAttendance(
  h: Harness,
  enrollmentId: string,
  o: {
    sequence?: number;
    deviceId?: string;
    ip?: string;
    method?: 'FACE_MATCH' | 'VENUE_QR' | 'ONLINE_PRESENCE';
    status?: 'CONFIRMED' | 'UNCONFIRMED' | 'REJECTED';
    /** When it was recorded; `occurredAt` when the provider said it happened earlier. */
    at: Date;
    occurredAt?: Date;
  },
) {
  await h.db.insert(schema.attendance).values({
    enrollmentId,
    sequence: o.sequence ?? 1,
    status: o.status ?? 'CONFIRMED',
    method: o.method ?? 'FACE_MATCH',
    deviceId: o.deviceId ?? null,
    ip: o.ip ?? null,
    occurredAt: o.occurredAt ?? null,
    recordedAt: o.at,
  });
}

export async function plantReview(
  h: Harness,
  e: Planted & { providerId: string; courseId: string },
  o: { rating: number; at: Date; text?: string },
) {
  await h.db.insert(schema.reviews).values({
    id: newId('review'),
    enrollmentId: e.enrollmentId,
    voucherId: e.voucherId,
    platformId: h.orgs.platformA.organisationId,
    providerId: e.providerId,
    courseId: e.courseId,
    rating: o.rating,
    text: o.text ?? 'Ulasan uji',
    createdAt: o.at,
  });
}

export async function plantIdentityCheck(h: Harness, enrollmentId: string, o: { failed: boolean; at: Date }) {
  await h.db.insert(schema.identityChecks).values({
    id: newId('identityCheck'),
    tokenHash: `planted-${rand()}`,
    enrollmentId,
    sequence: 1,
    redirectUri: 'https://kelas.example.id/kembali',
    state: rand(),
    expiresAt: new Date(o.at.getTime() + 600_000),
    usedAt: o.at,
    result: o.failed ? 'FAILED' : 'CONFIRMED',
    reason: o.failed ? 'FACE_MISMATCH' : null,
    createdAt: o.at,
  });
}

export const minutes = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);
