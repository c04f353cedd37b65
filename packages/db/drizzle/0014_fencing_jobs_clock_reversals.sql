CREATE TABLE "job_runs" (
	"name" text PRIMARY KEY NOT NULL,
	"next_run_at" timestamp with time zone,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_started_at" timestamp with time zone,
	"last_finished_at" timestamp with time zone,
	"last_duration_ms" integer,
	"last_instance" text,
	"last_summary" jsonb,
	"last_clock_at" timestamp with time zone,
	"last_failure_at" timestamp with time zone,
	"last_failure" text,
	"runs" bigint DEFAULT 0 NOT NULL,
	"failures" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "test_clock" (
	"id" text PRIMARY KEY NOT NULL,
	"offset_ms" bigint NOT NULL,
	"status" text NOT NULL,
	"advanced_at" timestamp with time zone,
	"advanced_by" text,
	"generation" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
DROP INDEX "settlement_items_voucher_role_idx";--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "end_reason" text;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "attempt" text;--> statement-breakpoint
ALTER TABLE "vouchers" ADD COLUMN "close_reason" text;--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_items_voucher_role_reversal_idx" ON "settlement_items" USING btree ("voucher_id","role") WHERE "settlement_items"."basis" = 'REVERSED';--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_items_voucher_role_idx" ON "settlement_items" USING btree ("voucher_id","role") WHERE "settlement_items"."basis" <> 'REVERSED';--> statement-breakpoint
-- A run cancelled after the participant's purchase window closed gives this many days to buy again.
UPDATE "schemes" SET "rules" = "rules" || '{"refundGraceDays": 7}'::jsonb WHERE NOT ("rules" ? 'refundGraceDays');
