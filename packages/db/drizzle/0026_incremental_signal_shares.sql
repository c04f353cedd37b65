CREATE TABLE "signal_key_bounds" (
	"type" text NOT NULL,
	"key" text NOT NULL,
	"n_lo" integer NOT NULL,
	"n_hi" integer NOT NULL,
	"hits_hi" integer NOT NULL,
	CONSTRAINT "signal_key_bounds_type_key_pk" PRIMARY KEY("type","key")
);
--> statement-breakpoint
CREATE INDEX "vouchers_provider_delay_idx" ON "vouchers" USING btree ("provider_id",(extract(epoch from ("redeemed_at" - "issued_at"))),"redeemed_at") WHERE "vouchers"."redeemed_at" is not null;