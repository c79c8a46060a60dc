-- Admin API reads (bench/api.ts, 500k devices on PostgreSQL): a device's assignments (detail, time travel) were a
-- sequential scan of assignments, 263 ms each; the partial one-open index covers only open ones.
CREATE INDEX IF NOT EXISTS "assignments_device" ON "assignments" USING btree ("device_id","started_at");--> statement-breakpoint
-- A device's or person's live findings on their detail pages.
CREATE INDEX IF NOT EXISTS "discrepancies_device" ON "discrepancies" USING btree ("device_id") WHERE "discrepancies"."device_id" is not null;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "discrepancies_person" ON "discrepancies" USING btree ("person_id") WHERE "discrepancies"."person_id" is not null;--> statement-breakpoint
-- The school filter on people, devices and assignments.
CREATE INDEX IF NOT EXISTS "people_school" ON "people" USING btree ("school_id");
