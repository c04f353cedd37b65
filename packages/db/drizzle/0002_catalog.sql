CREATE TABLE "course_revisions" (
	"id" text PRIMARY KEY NOT NULL,
	"course_id" text NOT NULL,
	"status" text NOT NULL,
	"content" jsonb NOT NULL,
	"rejection" jsonb,
	"submitted_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_sessions" (
	"run_id" text NOT NULL,
	"sequence" integer NOT NULL,
	"mode" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"time_zone" text NOT NULL,
	"venue" jsonb,
	"meeting_url" text,
	"regency_code" text,
	CONSTRAINT "run_sessions_run_id_sequence_pk" PRIMARY KEY("run_id","sequence")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"course_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"external_id" text,
	"status" text NOT NULL,
	"capacity" integer NOT NULL,
	"seats_taken" integer DEFAULT 0 NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"cancellation" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "runs_seats_within_capacity" CHECK ("runs"."seats_taken" >= 0 and "runs"."seats_taken" <= "runs"."capacity")
);
--> statement-breakpoint
CREATE TABLE "schemes" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"rules" jsonb NOT NULL
);
--> statement-breakpoint
-- The two schemes of the program, as data (DESIGN §2). Seeded here, before courses point to them.
INSERT INTO "schemes" ("id", "name", "valid_from", "rules") VALUES
  ('PRAKERJA_2020', 'Kartu Prakerja 2020–2022 (semi social aid)', '2020-04-01T00:00:00Z', '{"trainingBalance": 1000000, "purchaseWindowDays": 30, "minCourseHours": null, "allowedModes": ["SELF_PACED", "WEBINAR"], "incentive": {"amount": 600000, "times": 4}, "surveyIncentive": {"amount": 50000, "times": 3}, "redemptionWindow": {"beforeMinutes": 60, "afterMinutes": 60}}'::jsonb),
  ('PRAKERJA_2023', 'Kartu Prakerja 2023+ (normal scheme)', '2023-01-01T00:00:00Z', '{"trainingBalance": 3500000, "purchaseWindowDays": 15, "minCourseHours": 15, "allowedModes": ["WEBINAR", "LURING", "HYBRID"], "incentive": {"amount": 600000, "times": 1}, "surveyIncentive": {"amount": 50000, "times": 2}, "redemptionWindow": {"beforeMinutes": 60, "afterMinutes": 60}}'::jsonb)
ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "scheme_id" text DEFAULT 'PRAKERJA_2023' NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "competency_codes" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "occupation_codes" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "learning_outcomes" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "completion_rule" jsonb DEFAULT '{"minAttendancePercent":100,"postTestPassScore":70,"assignmentRequired":true}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "certificate_template" jsonb;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "rejection" jsonb;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "suspension" jsonb;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "submitted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "course_revisions" ADD CONSTRAINT "course_revisions_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_sessions" ADD CONSTRAINT "run_sessions_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_provider_id_organisations_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "course_revisions_one_open_idx" ON "course_revisions" USING btree ("course_id") WHERE "course_revisions"."status" in ('DRAFT', 'IN_REVIEW', 'REJECTED');--> statement-breakpoint
CREATE INDEX "run_sessions_regency_idx" ON "run_sessions" USING btree ("regency_code");--> statement-breakpoint
CREATE INDEX "runs_course_idx" ON "runs" USING btree ("course_id","starts_at");--> statement-breakpoint
CREATE INDEX "runs_provider_idx" ON "runs" USING btree ("provider_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_provider_external_idx" ON "runs" USING btree ("provider_id","external_id");--> statement-breakpoint
CREATE INDEX "runs_status_starts_idx" ON "runs" USING btree ("status","starts_at");--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_scheme_id_schemes_id_fk" FOREIGN KEY ("scheme_id") REFERENCES "public"."schemes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "courses_status_idx" ON "courses" USING btree ("status","id");