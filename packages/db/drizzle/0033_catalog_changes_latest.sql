-- The feed serves each course at its latest change only: a row is skipped when the same course has
-- a later row that is already servable (below the snapshot's xmin). The reader finds that row
-- through this index. A consumer never loses a course's state by the skip: the later row is after
-- the skipped one, so after any cursor that precedes it, and it carries the course as it is now.
CREATE INDEX IF NOT EXISTS "catalog_changes_course_xid_seq_idx" ON "catalog_changes" ("course_id", "xid", "seq");
