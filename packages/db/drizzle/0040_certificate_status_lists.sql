CREATE SEQUENCE "public"."certificate_status_index_seq" INCREMENT BY 1 MINVALUE 0 MAXVALUE 9223372036854775807 START WITH 0 CACHE 1;--> statement-breakpoint
CREATE TABLE "passport_consents" (
	"id" text PRIMARY KEY NOT NULL,
	"platform_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"otp_hash" text NOT NULL,
	"otp_expires_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "status_index" bigint DEFAULT nextval('certificate_status_index_seq') NOT NULL;--> statement-breakpoint
ALTER TABLE "passport_consents" ADD CONSTRAINT "passport_consents_platform_id_organisations_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "passport_consents" ADD CONSTRAINT "passport_consents_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "passport_consents_participant_idx" ON "passport_consents" USING btree ("participant_id","created_at");--> statement-breakpoint
CREATE INDEX "certificates_status_index_idx" ON "certificates" USING btree ("status_index");--> statement-breakpoint
CREATE INDEX "certificates_revoked_status_idx" ON "certificates" USING btree ("status_index") WHERE "certificates"."status" = 'REVOKED';