CREATE TABLE "control_cases" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"signal_id" text,
	"summary" text NOT NULL,
	"status" text NOT NULL,
	"decision" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"case_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"question" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"answer" text,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"answered_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "platform_daily" (
	"day" date NOT NULL,
	"platform_id" text NOT NULL,
	"sales" integer NOT NULL,
	"sales_amount" bigint NOT NULL,
	"refunds" integer NOT NULL,
	"refund_amount" bigint NOT NULL,
	"commission" bigint NOT NULL,
	CONSTRAINT "platform_daily_day_platform_id_pk" PRIMARY KEY("day","platform_id")
);
--> statement-breakpoint
CREATE TABLE "report_completion_days" (
	"day" date NOT NULL,
	"course_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"days" integer NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "report_completion_days_day_course_id_days_pk" PRIMARY KEY("day","course_id","days")
);
--> statement-breakpoint
CREATE TABLE "report_daily" (
	"day" date NOT NULL,
	"course_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"sold" integer NOT NULL,
	"redeemed" integer NOT NULL,
	"completed" integer NOT NULL,
	"not_completed" integer NOT NULL,
	"attendance_total" integer NOT NULL,
	"attendance_confirmed" integer NOT NULL,
	"identity_checks" integer NOT NULL,
	"identity_checks_failed" integer NOT NULL,
	"rating_sum" integer NOT NULL,
	"rating_count" integer NOT NULL,
	"refunds" integer NOT NULL,
	"refund_amount" bigint NOT NULL,
	CONSTRAINT "report_daily_day_course_id_pk" PRIMARY KEY("day","course_id")
);
--> statement-breakpoint
CREATE TABLE "report_refreshes" (
	"id" text PRIMARY KEY NOT NULL,
	"from_day" date NOT NULL,
	"to_day" date NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signals" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"key" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"provider_id" text,
	"score" integer NOT NULL,
	"summary" text NOT NULL,
	"scoring" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"status" text NOT NULL,
	"case_id" text,
	"dismissal" jsonb,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_clients" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "application" jsonb;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "checklist" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "status_reason" jsonb;--> statement-breakpoint
ALTER TABLE "control_cases" ADD CONSTRAINT "control_cases_provider_id_organisations_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_requests" ADD CONSTRAINT "evidence_requests_case_id_control_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."control_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence_requests" ADD CONSTRAINT "evidence_requests_provider_id_organisations_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "control_cases_provider_idx" ON "control_cases" USING btree ("provider_id","status");--> statement-breakpoint
CREATE INDEX "control_cases_status_idx" ON "control_cases" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "evidence_requests_provider_idx" ON "evidence_requests" USING btree ("provider_id","id");--> statement-breakpoint
CREATE INDEX "evidence_requests_case_idx" ON "evidence_requests" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "report_completion_days_provider_idx" ON "report_completion_days" USING btree ("provider_id","day");--> statement-breakpoint
CREATE INDEX "report_daily_provider_idx" ON "report_daily" USING btree ("provider_id","day");--> statement-breakpoint
CREATE UNIQUE INDEX "signals_type_key_idx" ON "signals" USING btree ("type","key");--> statement-breakpoint
CREATE INDEX "signals_status_score_idx" ON "signals" USING btree ("status","score","id");--> statement-breakpoint
CREATE INDEX "signals_provider_idx" ON "signals" USING btree ("provider_id","id");--> statement-breakpoint
CREATE INDEX "attendance_recorded_brin" ON "attendance" USING brin ("recorded_at");--> statement-breakpoint
CREATE INDEX "enrollments_redeemed_brin" ON "enrollments" USING brin ("redeemed_at");--> statement-breakpoint
CREATE INDEX "enrollments_completed_brin" ON "enrollments" USING brin ("completed_at");--> statement-breakpoint
CREATE INDEX "identity_checks_used_brin" ON "identity_checks" USING brin ("used_at");--> statement-breakpoint
CREATE INDEX "reviews_created_brin" ON "reviews" USING brin ("created_at");--> statement-breakpoint
CREATE INDEX "vouchers_issued_brin" ON "vouchers" USING brin ("issued_at");--> statement-breakpoint
CREATE INDEX "vouchers_closed_brin" ON "vouchers" USING brin ("closed_at");