ALTER TABLE "quarantine" ADD COLUMN "outcome" text DEFAULT 'rejected' NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "trigger_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "sync_runs_trigger_once" ON "sync_runs" USING btree ("source_id","trigger_key") WHERE "sync_runs"."trigger_key" is not null and "sync_runs"."status" <> 'failed';