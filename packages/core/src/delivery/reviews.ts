import { AppError, ZSubmitReviewInputSchema } from '@latih/contracts';
import { addRating, type Db, findEnrollmentByVoucher, findVoucher, insertReview } from '@latih/db';
import type { z } from 'zod';
import { type Actor, actorRef } from '../auth/actor';
import { recordChange } from '../changes';
import { newId } from '../ids';

/**
 * The platform that sold a voucher submits its participant's review once the training is
 * completed: one per enrollment, counted into the course's and the provider's rating at once.
 */
export async function submitReview(opts: {
  db: Db;
  actor: Actor;
  requestId: string | null;
  input: z.input<typeof ZSubmitReviewInputSchema>;
  now?: Date;
}) {
  if (opts.actor.role !== 'platform') throw new AppError('FORBIDDEN_ROLE');
  const input = ZSubmitReviewInputSchema.parse(opts.input);
  const now = opts.now ?? new Date();
  return opts.db.transaction(async (tx) => {
    const voucher = await findVoucher(tx, input.voucherId, { platformId: opts.actor.organisationId });
    if (!voucher) throw new AppError('VOUCHER_NOT_FOUND', { field: 'voucherId' });
    const enrollment = await findEnrollmentByVoucher(tx, voucher.id);
    if (enrollment?.status !== 'COMPLETED')
      throw new AppError('ENROLLMENT_NOT_COMPLETED', {
        message: `The voucher is ${voucher.status}; a review needs a COMPLETED training.`,
        field: 'voucherId',
      });
    const row = await insertReview(tx, {
      id: newId('review'),
      enrollmentId: enrollment.id,
      voucherId: voucher.id,
      platformId: opts.actor.organisationId,
      providerId: enrollment.providerId,
      courseId: enrollment.courseId,
      rating: input.rating,
      text: input.text,
      createdAt: now,
    });
    if (!row) throw new AppError('REVIEW_ALREADY_SUBMITTED', { field: 'voucherId' });
    await addRating(tx, enrollment.courseId, enrollment.providerId, input.rating);
    await recordChange(tx, {
      actor: actorRef(opts.actor, opts.requestId),
      action: 'review.submitted',
      entityType: 'enrollment',
      entityId: enrollment.id,
      fromState: null,
      toState: null,
      auditData: { reviewId: row.id, rating: input.rating },
      event: {
        type: 'review.submitted',
        organisationId: enrollment.providerId,
        data: {
          reviewId: row.id,
          courseId: enrollment.courseId,
          rating: input.rating,
          enrollmentId: enrollment.id,
        },
      },
    });
    return {
      id: row.id,
      voucherId: row.voucherId,
      courseId: row.courseId,
      rating: row.rating,
      text: row.text,
      createdAt: row.createdAt.toISOString(),
    };
  });
}
