CREATE INDEX "participants_name_prefix_idx" ON "participants" USING btree (lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "participants_regency_idx" ON "participants" USING btree ("regency_code","id");--> statement-breakpoint
CREATE INDEX "signal_subjects_participant_idx" ON "signal_subjects" USING btree ("participant_id");--> statement-breakpoint
CREATE INDEX "vouchers_participant_idx" ON "vouchers" USING btree ("participant_id");