CREATE TABLE "report_completion_monthly" (
	"month" date NOT NULL,
	"course_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"days" integer NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "report_completion_monthly_month_course_id_days_pk" PRIMARY KEY("month","course_id","days")
);
--> statement-breakpoint
CREATE TABLE "report_monthly" (
	"month" date NOT NULL,
	"course_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"sold" integer NOT NULL,
	"redeemed" integer NOT NULL,
	"completed" integer NOT NULL,
	"not_completed" integer NOT NULL,
	"attendance_total" integer NOT NULL,
	"attendance_confirmed" integer NOT NULL,
	"identity_checks" integer NOT NULL,
	"identity_checks_failed" integer NOT NULL,
	"rating_sum" integer NOT NULL,
	"rating_count" integer NOT NULL,
	"refunds" integer NOT NULL,
	"refund_amount" bigint NOT NULL,
	CONSTRAINT "report_monthly_month_course_id_pk" PRIMARY KEY("month","course_id")
);
--> statement-breakpoint
CREATE TABLE "report_provider_completion_monthly" (
	"month" date NOT NULL,
	"provider_id" text NOT NULL,
	"days" integer NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "report_provider_completion_monthly_month_provider_id_days_pk" PRIMARY KEY("month","provider_id","days")
);
--> statement-breakpoint
CREATE TABLE "statistics_monthly" (
	"dimension" text NOT NULL,
	"month" date NOT NULL,
	"area" text NOT NULL,
	"key" text NOT NULL,
	"participants" integer NOT NULL,
	"completions" integer NOT NULL,
	"certificates" integer NOT NULL,
	"incentives_paid" integer NOT NULL,
	"incentives_amount" bigint NOT NULL,
	CONSTRAINT "statistics_monthly_dimension_month_area_key_pk" PRIMARY KEY("dimension","month","area","key")
);
--> statement-breakpoint
CREATE INDEX "report_completion_monthly_provider_idx" ON "report_completion_monthly" USING btree ("provider_id","month");--> statement-breakpoint
CREATE INDEX "report_monthly_provider_idx" ON "report_monthly" USING btree ("provider_id","month");--> statement-breakpoint
-- The month level starts as the sum of the day rows already there (a database rebuilt before this
-- migration reads the same figures after it).
INSERT INTO "report_monthly" SELECT date_trunc('month', day)::date, course_id, min(provider_id), sum(sold), sum(redeemed),
  sum(completed), sum(not_completed), sum(attendance_total), sum(attendance_confirmed), sum(identity_checks),
  sum(identity_checks_failed), sum(rating_sum), sum(rating_count), sum(refunds), sum(refund_amount)
FROM "report_daily" GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO "report_completion_monthly" SELECT date_trunc('month', day)::date, course_id, min(provider_id), days, sum(n)
FROM "report_completion_days" GROUP BY 1, 2, 4;
--> statement-breakpoint
INSERT INTO "report_provider_completion_monthly" SELECT date_trunc('month', day)::date, provider_id, days, sum(n)
FROM "report_completion_days" GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO "statistics_monthly" SELECT dimension, date_trunc('month', day)::date, area, key, sum(participants),
  sum(completions), sum(certificates), sum(incentives_paid), sum(incentives_amount)
FROM "statistics_daily" GROUP BY 1, 2, 3, 4;
