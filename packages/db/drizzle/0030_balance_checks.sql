CREATE TABLE "balance_checks" (
	"id" text PRIMARY KEY NOT NULL,
	"platform_id" text NOT NULL,
	"card_hash" text NOT NULL,
	"participant_id" text,
	"otp_hash" text NOT NULL,
	"otp_expires_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"confirmed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "balance_checks" ADD CONSTRAINT "balance_checks_platform_id_organisations_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "balance_checks" ADD CONSTRAINT "balance_checks_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "balance_checks_card_idx" ON "balance_checks" USING btree ("card_hash","created_at");