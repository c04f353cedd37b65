CREATE TABLE "enrollments" (
	"id" text PRIMARY KEY NOT NULL,
	"voucher_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"course_id" text NOT NULL,
	"run_id" text,
	"status" text NOT NULL,
	"redeemed_at" timestamp with time zone NOT NULL,
	"redeemed_ip" text
);
--> statement-breakpoint
ALTER TABLE "vouchers" ADD COLUMN "redeemed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_voucher_id_vouchers_id_fk" FOREIGN KEY ("voucher_id") REFERENCES "public"."vouchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_provider_id_organisations_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollments" ADD CONSTRAINT "enrollments_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "enrollments_voucher_idx" ON "enrollments" USING btree ("voucher_id");--> statement-breakpoint
CREATE INDEX "enrollments_provider_idx" ON "enrollments" USING btree ("provider_id","id");--> statement-breakpoint
CREATE INDEX "enrollments_run_idx" ON "enrollments" USING btree ("run_id");