-- The catalog change feed. Every write to a course or a run (publication, edits, seats, states)
-- records its course here, from inside the writing transaction, with that transaction's id.
-- Readers order by (xid, seq) and serve only rows whose xid is below their snapshot's xmin: every
-- transaction that could still commit has an xid at or above it, so nothing can ever appear behind
-- a consumer's cursor, even when transactions commit in another order than they took sequences.
CREATE TABLE "catalog_changes" (
  "seq" bigserial PRIMARY KEY NOT NULL,
  "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
  "course_id" text NOT NULL,
  "changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "catalog_changes_xid_seq_idx" ON "catalog_changes" ("xid", "seq");
--> statement-breakpoint
CREATE OR REPLACE FUNCTION latih_catalog_touch() RETURNS trigger AS $$
BEGIN
  -- TG_ARGV[0] names the column holding the course id ('id' on courses, 'course_id' on runs).
  INSERT INTO catalog_changes (course_id) VALUES (to_jsonb(NEW) ->> TG_ARGV[0]);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER courses_catalog_change AFTER INSERT OR UPDATE ON courses
  FOR EACH ROW EXECUTE FUNCTION latih_catalog_touch('id');
--> statement-breakpoint
CREATE TRIGGER runs_catalog_change AFTER INSERT OR UPDATE ON runs
  FOR EACH ROW EXECUTE FUNCTION latih_catalog_touch('course_id');
