CREATE TABLE "registry_checks" (
	"id" text PRIMARY KEY NOT NULL,
	"participant_id" text NOT NULL,
	"trigger" text NOT NULL,
	"outcome" text NOT NULL,
	"reasons" text[] NOT NULL,
	"reference" text,
	"note" text,
	"actor_organisation_id" text,
	"actor_client_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registry_queue" (
	"participant_id" text PRIMARY KEY NOT NULL,
	"sealed" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "registry_status" text DEFAULT 'VERIFIED' NOT NULL;--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "registry_reasons" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "registry_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "registry_checks" ADD CONSTRAINT "registry_checks_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registry_queue" ADD CONSTRAINT "registry_queue_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "registry_checks_participant_idx" ON "registry_checks" USING btree ("participant_id","at");--> statement-breakpoint
CREATE INDEX "registry_queue_due_idx" ON "registry_queue" USING btree ("next_attempt_at");--> statement-breakpoint
CREATE INDEX "participants_registry_open_idx" ON "participants" USING btree ("registry_status","id") WHERE "participants"."registry_status" in ('PENDING', 'BLOCKED');