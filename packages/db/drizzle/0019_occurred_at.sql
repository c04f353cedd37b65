ALTER TABLE "attendance" ADD COLUMN "occurred_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "assignment_recorded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "post_test_taken_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "post_test_recorded_at" timestamp with time zone;--> statement-breakpoint
-- How late a provider may say an activity happened (schemes' rules are data): three days, and an
-- attendance from 30 minutes before its session starts.
UPDATE "schemes" SET "rules" = "rules" || '{"reporting": {"maxLateHours": 72, "sessionOpensMinutesBefore": 30}}'::jsonb WHERE NOT ("rules" ? 'reporting');
