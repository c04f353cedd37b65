CREATE TABLE "incentives" (
	"id" text PRIMARY KEY NOT NULL,
	"participant_id" text NOT NULL,
	"scheme_id" text NOT NULL,
	"instalment" integer NOT NULL,
	"instalments" integer NOT NULL,
	"amount" bigint NOT NULL,
	"status" text NOT NULL,
	"missing" jsonb NOT NULL,
	"enrollment_id" text,
	"due_at" timestamp with time zone,
	"attempt" integer DEFAULT 1 NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"provider_transfer_id" text,
	"provider_payout_id" text,
	"failure_code" text,
	"failure_message" text,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "participant_payout_accounts" (
	"participant_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"label" text NOT NULL,
	"sealed_destination" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"payout_id" text,
	"payout_status" text,
	"amount" bigint,
	"outcome" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payout_accounts" (
	"organisation_id" text PRIMARY KEY NOT NULL,
	"provider_account_id" text NOT NULL,
	"destination_kind" text,
	"destination_label" text,
	"status" text NOT NULL,
	"requirements" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settlement_batches" (
	"date" date PRIMARY KEY NOT NULL,
	"cutoff" timestamp with time zone NOT NULL,
	"settlement_count" integer NOT NULL,
	"item_count" integer NOT NULL,
	"amount" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settlement_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"voucher_id" text NOT NULL,
	"role" text NOT NULL,
	"organisation_id" text,
	"course_id" text NOT NULL,
	"basis" text NOT NULL,
	"price" bigint NOT NULL,
	"commission" bigint NOT NULL,
	"amount" bigint NOT NULL,
	"payable_at" timestamp with time zone NOT NULL,
	"settlement_id" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settlements" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"role" text NOT NULL,
	"batch_date" date NOT NULL,
	"amount" bigint NOT NULL,
	"item_count" integer NOT NULL,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"provider_transfer_id" text,
	"provider_payout_id" text,
	"failure_code" text,
	"failure_message" text,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "incentives" ADD CONSTRAINT "incentives_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant_payout_accounts" ADD CONSTRAINT "participant_payout_accounts_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_accounts" ADD CONSTRAINT "payout_accounts_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_items" ADD CONSTRAINT "settlement_items_voucher_id_vouchers_id_fk" FOREIGN KEY ("voucher_id") REFERENCES "public"."vouchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_items" ADD CONSTRAINT "settlement_items_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlements" ADD CONSTRAINT "settlements_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "incentives_participant_instalment_idx" ON "incentives" USING btree ("participant_id","instalment");--> statement-breakpoint
CREATE INDEX "incentives_status_idx" ON "incentives" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "incentives_due_idx" ON "incentives" USING btree ("due_at") WHERE "incentives"."status" = 'ELIGIBLE';--> statement-breakpoint
CREATE INDEX "incentives_payout_idx" ON "incentives" USING btree ("provider_payout_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_items_voucher_role_idx" ON "settlement_items" USING btree ("voucher_id","role");--> statement-breakpoint
CREATE INDEX "settlement_items_settlement_idx" ON "settlement_items" USING btree ("settlement_id","id");--> statement-breakpoint
CREATE INDEX "settlement_items_unsettled_idx" ON "settlement_items" USING btree ("organisation_id","payable_at") WHERE "settlement_items"."settlement_id" is null and "settlement_items"."role" <> 'PROGRAM';--> statement-breakpoint
CREATE UNIQUE INDEX "settlements_org_batch_idx" ON "settlements" USING btree ("organisation_id","batch_date");--> statement-breakpoint
CREATE INDEX "settlements_org_idx" ON "settlements" USING btree ("organisation_id","id");--> statement-breakpoint
CREATE INDEX "settlements_due_idx" ON "settlements" USING btree ("next_attempt_at") WHERE "settlements"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "settlements_payout_idx" ON "settlements" USING btree ("provider_payout_id");--> statement-breakpoint
-- The scheme decides when a voucher becomes payable and the platform's commission (DESIGN §3).
UPDATE "schemes" SET "rules" = "rules" || '{"settlement": {"payableOn": "REDEEMED", "platformCommissionBps": 1000}}'::jsonb
  WHERE "id" = 'PRAKERJA_2020' AND NOT ("rules" ? 'settlement');
--> statement-breakpoint
UPDATE "schemes" SET "rules" = "rules" || '{"settlement": {"payableOn": "COMPLETED", "platformCommissionBps": 1000}}'::jsonb
  WHERE "id" = 'PRAKERJA_2023' AND NOT ("rules" ? 'settlement');
