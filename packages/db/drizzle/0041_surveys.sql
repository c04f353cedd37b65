CREATE TABLE "survey_responses" (
	"id" text PRIMARY KEY NOT NULL,
	"survey_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"platform_id" text NOT NULL,
	"voucher_id" text NOT NULL,
	"answers" jsonb NOT NULL,
	"consent_at" timestamp with time zone NOT NULL,
	"incentive_id" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "surveys" (
	"id" text PRIMARY KEY NOT NULL,
	"scheme_id" text NOT NULL,
	"title" text NOT NULL,
	"questions" jsonb NOT NULL,
	"audience" jsonb NOT NULL,
	"opens_at" timestamp with time zone NOT NULL,
	"closes_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "incentives_participant_instalment_idx";--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "kind" text DEFAULT 'COMPLETION' NOT NULL;--> statement-breakpoint
ALTER TABLE "incentives" ADD COLUMN "survey_id" text;--> statement-breakpoint
ALTER TABLE "survey_responses" ADD CONSTRAINT "survey_responses_survey_id_surveys_id_fk" FOREIGN KEY ("survey_id") REFERENCES "public"."surveys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "survey_responses" ADD CONSTRAINT "survey_responses_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_scheme_id_schemes_id_fk" FOREIGN KEY ("scheme_id") REFERENCES "public"."schemes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "survey_responses_survey_participant_idx" ON "survey_responses" USING btree ("survey_id","participant_id");--> statement-breakpoint
CREATE INDEX "survey_responses_participant_idx" ON "survey_responses" USING btree ("participant_id");--> statement-breakpoint
CREATE INDEX "surveys_scheme_idx" ON "surveys" USING btree ("scheme_id","closes_at");--> statement-breakpoint
CREATE UNIQUE INDEX "incentives_participant_kind_instalment_idx" ON "incentives" USING btree ("participant_id","kind","instalment");