CREATE TABLE "signal_subjects" (
	"signal_id" text NOT NULL,
	"position" integer NOT NULL,
	"enrollment_id" text,
	"participant_id" text NOT NULL,
	"course_id" text,
	"provider_id" text,
	CONSTRAINT "signal_subjects_signal_id_position_pk" PRIMARY KEY("signal_id","position")
);
--> statement-breakpoint
ALTER TABLE "signals" ADD COLUMN "implicated_enrollments" integer;--> statement-breakpoint
ALTER TABLE "signals" ADD COLUMN "implicated_participants" integer;--> statement-breakpoint
ALTER TABLE "signal_subjects" ADD CONSTRAINT "signal_subjects_signal_id_signals_id_fk" FOREIGN KEY ("signal_id") REFERENCES "public"."signals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signal_subjects_enrollment_idx" ON "signal_subjects" USING btree ("enrollment_id");