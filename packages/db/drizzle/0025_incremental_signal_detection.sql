-- The detectors' incremental pass (runSignalDetection): changed_xid is the transaction that last
-- wrote what a detector reads of a row. Added without a default, then given one, so that existing
-- rows are not rewritten (a volatile default would rewrite every table): they stay null, older than
-- any pass, and the first pass after this migration is a full one. Updates set it through
-- latih_touch_changed_xid, only when a column the detectors read changes (other updates stay HOT).
CREATE TABLE "signal_detection_state" (
	"id" text PRIMARY KEY NOT NULL,
	"snapshot" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"rules" text NOT NULL,
	"mode" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attendance" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "attendance" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "checkouts" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "checkouts" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "courses" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "courses" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "enrollments" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "enrollments" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "identity_checks" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "identity_checks" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "participant_payout_accounts" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "participant_payout_accounts" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "reviews" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "reviews" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "changed_xid" "xid8";--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "changed_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "attendance_changed_xid_idx" ON "attendance" USING btree ("changed_xid") WHERE "attendance"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "attendance_ip_idx" ON "attendance" USING btree ("ip") WHERE "attendance"."ip" is not null;--> statement-breakpoint
CREATE INDEX "checkouts_changed_xid_idx" ON "checkouts" USING btree ("changed_xid") WHERE "checkouts"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "checkouts_device_idx" ON "checkouts" USING btree ("platform_id","device_id") WHERE "checkouts"."device_id" is not null;--> statement-breakpoint
CREATE INDEX "checkouts_session_idx" ON "checkouts" USING btree ("platform_id","session_id") WHERE "checkouts"."session_id" is not null;--> statement-breakpoint
CREATE INDEX "courses_changed_xid_idx" ON "courses" USING btree ("changed_xid") WHERE "courses"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "enrollments_changed_xid_idx" ON "enrollments" USING btree ("changed_xid") WHERE "enrollments"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "enrollments_course_completed_idx" ON "enrollments" USING btree ("course_id","completed_at");--> statement-breakpoint
CREATE INDEX "enrollments_assignment_hash_idx" ON "enrollments" USING btree ("assignment_hash") WHERE "enrollments"."assignment_hash" is not null;--> statement-breakpoint
CREATE INDEX "enrollments_redeemed_ip_idx" ON "enrollments" USING btree ("redeemed_ip") WHERE "enrollments"."redeemed_ip" is not null;--> statement-breakpoint
CREATE INDEX "enrollments_assignment_submitted_brin" ON "enrollments" USING brin ("assignment_submitted_at");--> statement-breakpoint
CREATE INDEX "identity_checks_changed_xid_idx" ON "identity_checks" USING btree ("changed_xid") WHERE "identity_checks"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "participant_payout_accounts_changed_xid_idx" ON "participant_payout_accounts" USING btree ("changed_xid") WHERE "participant_payout_accounts"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "participant_payout_accounts_updated_idx" ON "participant_payout_accounts" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "reviews_changed_xid_idx" ON "reviews" USING btree ("changed_xid") WHERE "reviews"."changed_xid" is not null;--> statement-breakpoint
CREATE INDEX "reviews_course_five_idx" ON "reviews" USING btree ("course_id","created_at") WHERE "reviews"."rating" = 5;--> statement-breakpoint
CREATE INDEX "runs_changed_xid_idx" ON "runs" USING btree ("changed_xid") WHERE "runs"."changed_xid" is not null;--> statement-breakpoint
CREATE OR REPLACE FUNCTION latih_touch_changed_xid() RETURNS trigger AS $$
BEGIN
  NEW.changed_xid := pg_current_xact_id();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;--> statement-breakpoint
CREATE TRIGGER attendance_changed_xid BEFORE UPDATE ON "attendance" FOR EACH ROW
  WHEN ((OLD.enrollment_id, OLD.sequence, OLD.status, OLD.method, OLD.device_id, OLD.ip, OLD.void_reason, OLD.occurred_at, OLD.recorded_at) IS DISTINCT FROM (NEW.enrollment_id, NEW.sequence, NEW.status, NEW.method, NEW.device_id, NEW.ip, NEW.void_reason, NEW.occurred_at, NEW.recorded_at))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER checkouts_changed_xid BEFORE UPDATE ON "checkouts" FOR EACH ROW
  WHEN ((OLD.platform_id, OLD.participant_id, OLD.course_id, OLD.status, OLD.voucher_id, OLD.device_id, OLD.session_id, OLD.created_at) IS DISTINCT FROM (NEW.platform_id, NEW.participant_id, NEW.course_id, NEW.status, NEW.voucher_id, NEW.device_id, NEW.session_id, NEW.created_at))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER courses_changed_xid BEFORE UPDATE ON "courses" FOR EACH ROW
  WHEN ((OLD.provider_id, OLD.duration_minutes) IS DISTINCT FROM (NEW.provider_id, NEW.duration_minutes))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER enrollments_changed_xid BEFORE UPDATE ON "enrollments" FOR EACH ROW
  WHEN ((OLD.voucher_id, OLD.participant_id, OLD.provider_id, OLD.course_id, OLD.run_id, OLD.status, OLD.redeemed_at, OLD.redeemed_ip, OLD.assignment_hash, OLD.assignment_submitted_at, OLD.completed_at) IS DISTINCT FROM (NEW.voucher_id, NEW.participant_id, NEW.provider_id, NEW.course_id, NEW.run_id, NEW.status, NEW.redeemed_at, NEW.redeemed_ip, NEW.assignment_hash, NEW.assignment_submitted_at, NEW.completed_at))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER identity_checks_changed_xid BEFORE UPDATE ON "identity_checks" FOR EACH ROW
  WHEN ((OLD.enrollment_id, OLD.sequence, OLD.result, OLD.reason, OLD.used_at) IS DISTINCT FROM (NEW.enrollment_id, NEW.sequence, NEW.result, NEW.reason, NEW.used_at))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER participant_payout_accounts_changed_xid BEFORE UPDATE ON "participant_payout_accounts" FOR EACH ROW
  WHEN ((OLD.participant_id, OLD.kind, OLD.label, OLD.destination_hash, OLD.updated_at) IS DISTINCT FROM (NEW.participant_id, NEW.kind, NEW.label, NEW.destination_hash, NEW.updated_at))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER reviews_changed_xid BEFORE UPDATE ON "reviews" FOR EACH ROW
  WHEN ((OLD.enrollment_id, OLD.platform_id, OLD.provider_id, OLD.course_id, OLD.rating, OLD.text, OLD.created_at) IS DISTINCT FROM (NEW.enrollment_id, NEW.platform_id, NEW.provider_id, NEW.course_id, NEW.rating, NEW.text, NEW.created_at))
  EXECUTE FUNCTION latih_touch_changed_xid();--> statement-breakpoint
CREATE TRIGGER runs_changed_xid BEFORE UPDATE ON "runs" FOR EACH ROW
  WHEN ((OLD.course_id, OLD.ends_at) IS DISTINCT FROM (NEW.course_id, NEW.ends_at))
  EXECUTE FUNCTION latih_touch_changed_xid();
