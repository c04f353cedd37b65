DROP INDEX "settlement_items_voucher_role_idx";--> statement-breakpoint
DROP INDEX "settlement_items_voucher_role_reversal_idx";--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "recovery_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "settlement_items" ADD COLUMN "receivable" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "settlement_items" ADD COLUMN "held_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "vouchers" ADD COLUMN "settlement_held_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "incentives_enrollment_idx" ON "incentives" USING btree ("enrollment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_items_voucher_role_idx" ON "settlement_items" USING btree ("voucher_id","role") WHERE "settlement_items"."basis" not in ('REVERSED', 'VOIDED');--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_items_voucher_role_reversal_idx" ON "settlement_items" USING btree ("voucher_id","role") WHERE "settlement_items"."basis" in ('REVERSED', 'VOIDED');