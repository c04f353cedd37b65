CREATE TABLE "attendance" (
	"enrollment_id" text NOT NULL,
	"sequence" integer NOT NULL,
	"status" text NOT NULL,
	"method" text NOT NULL,
	"device_id" text,
	"ip" text,
	"void_reason" text,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "attendance_enrollment_id_sequence_pk" PRIMARY KEY("enrollment_id","sequence")
);
--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "assignment_url" text;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "assignment_hash" text;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "assignment_submitted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "assignment_feedback" text;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "post_test_score" integer;--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "completed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attendance_device_idx" ON "attendance" USING btree ("device_id");