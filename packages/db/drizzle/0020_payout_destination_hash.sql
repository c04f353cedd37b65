-- A keyed hash (HMAC-SHA256 under NIK_HASH_KEY) of each participant payout account's normalized
-- destination, so several participants paid into one account can be found without opening any.
-- Accounts set before this migration keep a null hash until they are next set: the migration has no
-- key to compute it with (see docs/guides/pmo.md).
ALTER TABLE "participant_payout_accounts" ADD COLUMN "destination_hash" text;--> statement-breakpoint
CREATE INDEX "participant_payout_accounts_destination_hash_idx" ON "participant_payout_accounts" USING btree ("destination_hash") WHERE "participant_payout_accounts"."destination_hash" is not null;