CREATE INDEX "checkouts_pending_idx" ON "checkouts" USING btree ("otp_expires_at") WHERE "checkouts"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "incentives_in_flight_idx" ON "incentives" USING btree ("updated_at") WHERE "incentives"."provider_payout_id" is not null and "incentives"."status" in ('ELIGIBLE', 'DISBURSING');--> statement-breakpoint
CREATE INDEX "incentives_paid_idx" ON "incentives" USING btree ("paid_at") WHERE "incentives"."status" = 'PAID';--> statement-breakpoint
CREATE INDEX "settlements_in_flight_idx" ON "settlements" USING btree ("updated_at") WHERE "settlements"."provider_payout_id" is not null and "settlements"."status" in ('PENDING', 'IN_TRANSIT');--> statement-breakpoint
CREATE INDEX "settlements_paid_idx" ON "settlements" USING btree ("paid_at") WHERE "settlements"."status" = 'PAID';--> statement-breakpoint
CREATE INDEX "staff_sessions_expires_idx" ON "staff_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "vouchers_run_idx" ON "vouchers" USING btree ("run_id") WHERE "vouchers"."status" in ('ISSUED', 'REDEEMED', 'COMPLETED', 'NOT_COMPLETED');