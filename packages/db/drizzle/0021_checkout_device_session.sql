ALTER TABLE "checkouts" ADD COLUMN "device_id" text;--> statement-breakpoint
ALTER TABLE "checkouts" ADD COLUMN "session_id" text;--> statement-breakpoint
CREATE INDEX "checkouts_created_brin" ON "checkouts" USING brin ("created_at");