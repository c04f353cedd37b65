-- Each course rendered ahead of the catalog change feed (docs/adr/0009): the feed splices the stored
-- JSON into its pages when the entry is current for the change it serves (rendered in a snapshot
-- whose xmin is above the change's transaction id, by the running view version) and renders the
-- course itself otherwise. Filled by the catalog.render job, which follows the feed.
CREATE TABLE "catalog_entries" (
	"course_id" text PRIMARY KEY NOT NULL,
	"view_version" integer NOT NULL,
	"rendered_xmin" "xid8" NOT NULL,
	"kind" text NOT NULL,
	"body" text,
	"rendered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_render_state" (
	"id" text PRIMARY KEY NOT NULL,
	"view_version" integer NOT NULL,
	"xid" "xid8" NOT NULL,
	"seq" bigint NOT NULL
);
--> statement-breakpoint
-- Bodies (about 3 KB of JSON each) are compressed when stored; lz4 decompresses several times faster
-- than the default pglz as the feed reads a page of 500 (docs/benchmarks.md, Catalog sync). A
-- server built without lz4 (PGlite) keeps the default.
DO $$
BEGIN
  ALTER TABLE "catalog_entries" ALTER COLUMN "body" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available here: catalog_entries.body keeps the default compression';
END $$;
