-- SHARED_PHONE: the registered mobile number's keyed hash. changed_xid as in 0025: added without a
-- default, then given one, so that existing rows are not rewritten (they stay null, older than any
-- pass); participants are only inserted with a phone, so no update trigger is needed.
ALTER TABLE "participants" ADD COLUMN "phone_hash" text;--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "phone_last4" text;--> statement-breakpoint
ALTER TABLE "participants" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "participants" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "participants_phone_hash_idx" ON "participants" USING btree ("phone_hash") WHERE "participants"."phone_hash" is not null;--> statement-breakpoint
CREATE INDEX "participants_changed_xid_idx" ON "participants" USING btree ("changed_xid") WHERE "participants"."changed_xid" is not null;