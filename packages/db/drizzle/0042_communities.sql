CREATE TABLE "communities" (
	"id" text PRIMARY KEY NOT NULL,
	"region_code" text NOT NULL,
	"region_level" text NOT NULL,
	"province_code" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_events" (
	"id" text PRIMARY KEY NOT NULL,
	"community_id" text NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"held_on" date NOT NULL,
	"place" text NOT NULL,
	"alumni_took_part" integer NOT NULL,
	"businesses" jsonb NOT NULL,
	"note" text,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "community_members" (
	"id" text PRIMARY KEY NOT NULL,
	"community_id" text NOT NULL,
	"participant_id" text NOT NULL,
	"platform_id" text NOT NULL,
	"voucher_id" text NOT NULL,
	"consented_at" timestamp with time zone NOT NULL,
	"joined_at" timestamp with time zone NOT NULL,
	"captain_since" timestamp with time zone,
	"left_at" timestamp with time zone,
	"left_through" text
);
--> statement-breakpoint
ALTER TABLE "community_events" ADD CONSTRAINT "community_events_community_id_communities_id_fk" FOREIGN KEY ("community_id") REFERENCES "public"."communities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_members" ADD CONSTRAINT "community_members_community_id_communities_id_fk" FOREIGN KEY ("community_id") REFERENCES "public"."communities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_members" ADD CONSTRAINT "community_members_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_members" ADD CONSTRAINT "community_members_platform_id_organisations_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_members" ADD CONSTRAINT "community_members_voucher_id_vouchers_id_fk" FOREIGN KEY ("voucher_id") REFERENCES "public"."vouchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "community_members" ADD CONSTRAINT "community_members_left_through_organisations_id_fk" FOREIGN KEY ("left_through") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "communities_region_idx" ON "communities" USING btree ("region_code");--> statement-breakpoint
CREATE INDEX "communities_province_idx" ON "communities" USING btree ("province_code","id");--> statement-breakpoint
CREATE INDEX "community_events_community_idx" ON "community_events" USING btree ("community_id","held_on","id");--> statement-breakpoint
CREATE UNIQUE INDEX "community_members_current_idx" ON "community_members" USING btree ("community_id","participant_id") WHERE "community_members"."left_at" is null;--> statement-breakpoint
CREATE INDEX "community_members_participant_idx" ON "community_members" USING btree ("participant_id");--> statement-breakpoint
CREATE INDEX "community_members_list_idx" ON "community_members" USING btree ("community_id","id") WHERE "community_members"."left_at" is null;