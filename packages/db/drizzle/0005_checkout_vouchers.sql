CREATE TABLE "checkouts" (
	"id" text PRIMARY KEY NOT NULL,
	"platform_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"course_id" text NOT NULL,
	"run_id" text,
	"price" bigint NOT NULL,
	"status" text NOT NULL,
	"otp_hash" text NOT NULL,
	"otp_expires_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"voucher_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"confirmed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "vouchers" (
	"id" text PRIMARY KEY NOT NULL,
	"code_hash" text NOT NULL,
	"code_last4" text NOT NULL,
	"participant_id" text NOT NULL,
	"platform_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"course_id" text NOT NULL,
	"run_id" text,
	"checkout_id" text NOT NULL,
	"price" bigint NOT NULL,
	"status" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "checkouts" ADD CONSTRAINT "checkouts_platform_id_organisations_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkouts" ADD CONSTRAINT "checkouts_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkouts" ADD CONSTRAINT "checkouts_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkouts" ADD CONSTRAINT "checkouts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_platform_id_organisations_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_provider_id_organisations_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "checkouts_platform_idx" ON "checkouts" USING btree ("platform_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "vouchers_code_hash_idx" ON "vouchers" USING btree ("code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "vouchers_checkout_idx" ON "vouchers" USING btree ("checkout_id");--> statement-breakpoint
CREATE UNIQUE INDEX "vouchers_one_per_course_idx" ON "vouchers" USING btree ("participant_id","course_id") WHERE "vouchers"."status" in ('ISSUED', 'REDEEMED', 'COMPLETED');--> statement-breakpoint
CREATE INDEX "vouchers_platform_idx" ON "vouchers" USING btree ("platform_id","id");--> statement-breakpoint
CREATE INDEX "vouchers_expiry_idx" ON "vouchers" USING btree ("expires_at") WHERE "vouchers"."status" = 'ISSUED';