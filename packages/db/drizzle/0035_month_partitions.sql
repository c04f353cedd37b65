-- Tables that grow forever, partitioned by month (issue 21; docs/adr/0007-month-partitions.md).
--
-- events, audit_log and attendance become range-partitioned by the ULID in a key they already have
-- (events.id `evt_…`, audit_log.id `aud_…`, attendance.enrollment_id `enr_…`): a ULID starts with
-- its millisecond time, so the ids of one month form one range, bounded by the ULID of the month's
-- first instant (UTC) with a zero random part. The partition key is then part of each table's
-- primary key, so every unique guarantee (events.id, audit_log.id, attendance's (enrollment_id,
-- sequence) and the upsert on it) holds across all partitions. Each table has a DEFAULT partition,
-- so no insert ever fails for want of a partition; the job partitions.maintain creates the months
-- ahead and moves any row that landed in the default partition into its month.
--
-- The conversion copies every row into the new table inside the migration's transaction, keeping
-- defaults, sequences (events.seq keeps its values and its sequence), NOT NULL and CHECK
-- constraints, indexes (same names), foreign keys, triggers (audit_log's append-only triggers on
-- every partition), grants and owner. Writes to these tables wait for it: see docs/benchmarks.md
-- for how long on a populated database.

-- Months detached for archiving (npm run partitions -- detach); see packages/db/src/schema.ts.
CREATE TABLE "partition_archive" (
	"partition" text PRIMARY KEY NOT NULL,
	"parent_table" text NOT NULL,
	"month" date NOT NULL,
	"rows" bigint NOT NULL,
	"detached_at" timestamp with time zone NOT NULL,
	"feed_xid" "xid8",
	"feed_seq" bigint
);
--> statement-breakpoint
CREATE INDEX "partition_archive_parent_idx" ON "partition_archive" USING btree ("parent_table","month");
--> statement-breakpoint
-- The 10 time characters of a ULID (lower-case Crockford base32) for a Unix time in milliseconds.
CREATE OR REPLACE FUNCTION latih_ulid_time(ms bigint) RETURNS text AS $$
DECLARE
  t bigint := ms;
  s text := '';
BEGIN
  FOR i IN 1..10 LOOP
    s := substr('0123456789abcdefghjkmnpqrstvwxyz', (t % 32)::int + 1, 1) || s;
    t := t / 32;
  END LOOP;
  RETURN s;
END;
$$ LANGUAGE plpgsql IMMUTABLE STRICT;
--> statement-breakpoint
-- The month (first day, UTC) of a `<prefix>_<ULID>` key; null for a key of any other shape.
CREATE OR REPLACE FUNCTION latih_month_of_key(prefix text, key text) RETURNS date AS $$
DECLARE
  ms bigint := 0;
BEGIN
  IF key !~ ('^' || prefix || '_[0-9a-hjkmnp-tv-z]{26}$') THEN
    RETURN NULL;
  END IF;
  FOR i IN 1..10 LOOP
    ms := ms * 32 + strpos('0123456789abcdefghjkmnpqrstvwxyz', substr(key, length(prefix) + 1 + i, 1)) - 1;
  END LOOP;
  RETURN date_trunc('month', to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC')::date;
END;
$$ LANGUAGE plpgsql IMMUTABLE STRICT;
--> statement-breakpoint
-- The lowest `<prefix>_<ULID>` of a month: its first millisecond, random part all zeros.
CREATE OR REPLACE FUNCTION latih_month_bound(prefix text, month date) RETURNS text AS $$
  SELECT prefix || '_' || latih_ulid_time((extract(epoch FROM month::timestamp) * 1000)::bigint)
    || '0000000000000000';
$$ LANGUAGE sql IMMUTABLE STRICT;
--> statement-breakpoint
-- Makes sure `<parent>_<yyyy>_<mm>` is attached for the month. A new partition is made beside the
-- table (LIKE) and attached, which takes only SHARE UPDATE EXCLUSIVE on the parent (writes go on)
-- and ACCESS EXCLUSIVE on the default partition while it checks that no row there belongs to the
-- month. Rows of that month found in the default partition are moved into it first: then writes to
-- the table wait (SHARE ROW EXCLUSIVE on the parent) until the move commits, so that no write can
-- land in the default partition a row of the month being made (it would fail the attach, or the
-- write). `status`: 'created', 'exists', or 'archived' when the month was detached for archiving
-- (partition_archive, or a table of that name not attached): it is never made again, and rows of
-- it, should any arrive, stay in the default partition. `moved`: rows moved out of the default.
CREATE OR REPLACE FUNCTION latih_attach_month(parent text, key text, prefix text, month date,
  OUT status text, OUT moved bigint) AS $$
DECLARE
  part text := parent || '_' || to_char(month, 'YYYY_MM');
  def text := parent || '_default';
  lo text := latih_month_bound(prefix, month);
  hi text := latih_month_bound(prefix, (month + interval '1 month')::date);
  stray boolean := false;
BEGIN
  moved := 0;
  IF EXISTS (
    SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE c.relname = part AND i.inhparent = parent::regclass
  ) THEN
    status := 'exists';
    RETURN;
  END IF;
  IF to_regclass(part) IS NOT NULL OR EXISTS (SELECT 1 FROM partition_archive a WHERE a.partition = part) THEN
    status := 'archived';
    RETURN;
  END IF;
  EXECUTE format(
    'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', part, parent);
  IF to_regclass(def) IS NOT NULL THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)', def, key, key)
      INTO stray USING lo, hi;
  END IF;
  IF stray THEN
    EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', parent);
    -- The append-only trigger would refuse the move; it is off for this statement only, inside
    -- this transaction (no other session ever sees it off), and the rows are kept, not deleted.
    IF parent = 'audit_log' THEN
      EXECUTE format('ALTER TABLE %I DISABLE TRIGGER audit_log_no_update', def);
    END IF;
    EXECUTE format(
      'WITH m AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) INSERT INTO %I SELECT * FROM m',
      def, key, key, part) USING lo, hi;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF parent = 'audit_log' THEN
      EXECUTE format('ALTER TABLE %I ENABLE TRIGGER audit_log_no_update', def);
    END IF;
  END IF;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, lo, hi);
  -- Row triggers are cloned onto partitions, statement triggers are not: TRUNCATE of a partition
  -- must be refused on its own.
  IF parent = 'audit_log' THEN
    EXECUTE format(
      'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION latih_audit_log_append_only()',
      part);
  END IF;
  status := 'created';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Converts a table in place: the same name, columns, defaults, sequences, grants and owner, a
-- default partition and one partition per month that has rows, every row copied. Indexes, keys,
-- foreign keys and triggers are added by the caller (below), under their usual names.
CREATE OR REPLACE FUNCTION latih_partition_by_month(tbl text, key text, prefix text) RETURNS void AS $$
DECLARE
  old text := tbl || '_unpartitioned';
  pattern text := '^' || prefix || '_[0-9a-hjkmnp-tv-z]{26}$';
  months date[] := '{}';
  k text;
  m date;
  r record;
BEGIN
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
  -- The months that have rows, from the key's index (a skip scan: one probe per month).
  EXECUTE format('SELECT %1$I FROM %2$I WHERE %1$I ~ $1 ORDER BY %1$I LIMIT 1', key, old) INTO k USING pattern;
  WHILE k IS NOT NULL LOOP
    m := latih_month_of_key(prefix, k);
    months := months || m;
    EXECUTE format('SELECT %1$I FROM %2$I WHERE %1$I >= $2 AND %1$I ~ $1 ORDER BY %1$I LIMIT 1', key, old)
      INTO k USING pattern, latih_month_bound(prefix, (m + interval '1 month')::date);
  END LOOP;
  -- Free the names of its keys and indexes for the new table's.
  FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = old::regclass AND contype IN ('p', 'u', 'f', 'x') LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', old, r.conname);
  END LOOP;
  FOR r IN SELECT indexrelid::regclass::text AS idx FROM pg_index WHERE indrelid = old::regclass LOOP
    EXECUTE format('DROP INDEX %s', r.idx);
  END LOOP;
  EXECUTE format(
    'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%I)',
    tbl, old, key);
  EXECUTE format('ALTER TABLE %I OWNER TO %I', tbl,
    (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = old::regclass));
  -- A serial column's sequence (events.seq) goes on, owned by the new table: values are kept.
  FOR r IN
    SELECT s.relname AS seq, a.attname AS col
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.refobjid = old::regclass AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
  LOOP
    EXECUTE format('ALTER SEQUENCE %I OWNED BY %I.%I', r.seq, tbl, r.col);
  END LOOP;
  FOR r IN
    SELECT a.grantee, a.privilege_type, a.is_grantable
    FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.oid = old::regclass AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('GRANT %s ON %I TO %s%s', r.privilege_type, tbl,
      CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END,
      CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
  FOREACH m IN ARRAY months LOOP
    PERFORM latih_attach_month(tbl, key, prefix, m);
  END LOOP;
  EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, old);
  EXECUTE format('DROP TABLE %I', old);
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
SELECT latih_partition_by_month('events', 'id', 'evt');
--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY ("id");
--> statement-breakpoint
CREATE INDEX "events_seq_idx" ON "events" USING btree ("seq");
--> statement-breakpoint
CREATE INDEX "events_unpublished_idx" ON "events" USING btree ("seq") WHERE "events"."published_at" is null;
--> statement-breakpoint
CREATE INDEX "events_org_idx" ON "events" USING btree ("organisation_id","seq");
--> statement-breakpoint
CREATE INDEX "events_org_xid_idx" ON "events" USING btree ("organisation_id","xid","seq");
--> statement-breakpoint
SELECT latih_partition_by_month('audit_log', 'id', 'aud');
--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id");
--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity_type","entity_id");
--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_organisation_id","occurred_at");
--> statement-breakpoint
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION latih_audit_log_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION latih_audit_log_append_only();
--> statement-breakpoint
-- Statement triggers are not cloned onto partitions: the partitions made above get theirs here
-- (latih_attach_month adds it to those it makes from now on).
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'audit_log'::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'audit_log_no_truncate')
  LOOP
    EXECUTE format(
      'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION latih_audit_log_append_only()',
      r.relname);
  END LOOP;
END;
$$;
--> statement-breakpoint
SELECT latih_partition_by_month('attendance', 'enrollment_id', 'enr');
--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_enrollment_id_sequence_pk" PRIMARY KEY ("enrollment_id","sequence");
--> statement-breakpoint
ALTER TABLE "attendance" ADD CONSTRAINT "attendance_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "attendance_changed_xid_idx" ON "attendance" USING btree ("changed_xid") WHERE "attendance"."changed_xid" is not null;
--> statement-breakpoint
CREATE INDEX "attendance_device_idx" ON "attendance" USING btree ("device_id");
--> statement-breakpoint
CREATE INDEX "attendance_recorded_brin" ON "attendance" USING brin ("recorded_at");
--> statement-breakpoint
CREATE INDEX "attendance_ip_idx" ON "attendance" USING btree ("ip") WHERE "attendance"."ip" is not null;
--> statement-breakpoint
CREATE TRIGGER attendance_changed_xid BEFORE UPDATE ON "attendance" FOR EACH ROW
  WHEN ((OLD.enrollment_id, OLD.sequence, OLD.status, OLD.method, OLD.device_id, OLD.ip, OLD.void_reason, OLD.occurred_at, OLD.recorded_at) IS DISTINCT FROM (NEW.enrollment_id, NEW.sequence, NEW.status, NEW.method, NEW.device_id, NEW.ip, NEW.void_reason, NEW.occurred_at, NEW.recorded_at))
  EXECUTE FUNCTION latih_touch_changed_xid();
