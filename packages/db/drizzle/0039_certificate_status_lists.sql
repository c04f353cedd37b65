CREATE SEQUENCE "public"."certificate_status_index_seq" INCREMENT BY 1 MINVALUE 0 MAXVALUE 9223372036854775807 START WITH 0 CACHE 1;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "status_index" bigint DEFAULT nextval('certificate_status_index_seq') NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_status_index_idx" ON "certificates" USING btree ("status_index");--> statement-breakpoint
CREATE INDEX "certificates_revoked_status_idx" ON "certificates" USING btree ("status_index") WHERE "certificates"."status" = 'REVOKED';