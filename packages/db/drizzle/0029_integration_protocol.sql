CREATE TABLE "assignment_submissions" (
	"enrollment_id" text NOT NULL,
	"scope" text NOT NULL,
	"sequence" integer NOT NULL,
	"url" text NOT NULL,
	"content_hash" text,
	"status" text NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"feedback_notes" text,
	"feedback_url" text,
	"reviewed_at" timestamp with time zone,
	CONSTRAINT "assignment_submissions_enrollment_id_scope_sequence_pk" PRIMARY KEY("enrollment_id","scope","sequence")
);
--> statement-breakpoint
CREATE TABLE "integration_clients" (
	"client_code" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "integration_clients_organisation_id_unique" UNIQUE("organisation_id")
);
--> statement-breakpoint
CREATE TABLE "integration_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"client_code" text NOT NULL,
	"sealed_key" text NOT NULL,
	"key_last4" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "vouchers" ADD COLUMN "test" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "assignment_submissions" ADD CONSTRAINT "assignment_submissions_enrollment_id_enrollments_id_fk" FOREIGN KEY ("enrollment_id") REFERENCES "public"."enrollments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_clients" ADD CONSTRAINT "integration_clients_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_keys" ADD CONSTRAINT "integration_keys_client_code_integration_clients_client_code_fk" FOREIGN KEY ("client_code") REFERENCES "public"."integration_clients"("client_code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "integration_keys_client_idx" ON "integration_keys" USING btree ("client_code");