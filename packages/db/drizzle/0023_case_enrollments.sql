CREATE TABLE "case_enrollments" (
	"case_id" text NOT NULL,
	"enrollment_id" text NOT NULL,
	"position" integer NOT NULL,
	"participant_id" text NOT NULL,
	"course_id" text NOT NULL,
	"provider_id" text NOT NULL,
	CONSTRAINT "case_enrollments_case_id_enrollment_id_pk" PRIMARY KEY("case_id","enrollment_id")
);
--> statement-breakpoint
ALTER TABLE "case_enrollments" ADD CONSTRAINT "case_enrollments_case_id_control_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."control_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_enrollments" ADD CONSTRAINT "case_enrollments_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_enrollments_position_idx" ON "case_enrollments" USING btree ("case_id","position");--> statement-breakpoint
CREATE INDEX "case_enrollments_enrollment_idx" ON "case_enrollments" USING btree ("enrollment_id");