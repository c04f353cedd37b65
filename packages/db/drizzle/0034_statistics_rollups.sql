CREATE TABLE "statistics_daily" (
	"dimension" text NOT NULL,
	"day" date NOT NULL,
	"area" text NOT NULL,
	"key" text NOT NULL,
	"participants" integer NOT NULL,
	"completions" integer NOT NULL,
	"certificates" integer NOT NULL,
	"incentives_paid" integer NOT NULL,
	"incentives_amount" bigint NOT NULL,
	CONSTRAINT "statistics_daily_dimension_day_area_key_pk" PRIMARY KEY("dimension","day","area","key")
);
--> statement-breakpoint
CREATE INDEX "certificates_issued_brin" ON "certificates" USING brin ("issued_at");--> statement-breakpoint
CREATE INDEX "enrollments_participant_idx" ON "enrollments" USING btree ("participant_id","redeemed_at");--> statement-breakpoint
CREATE INDEX "participants_created_idx" ON "participants" USING btree ("created_at");