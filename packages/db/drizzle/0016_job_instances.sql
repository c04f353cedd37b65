CREATE TABLE "job_instances" (
	"id" text PRIMARY KEY NOT NULL,
	"jobs" text[] NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "job_runs" ADD COLUMN "last_generation" integer DEFAULT 0 NOT NULL;