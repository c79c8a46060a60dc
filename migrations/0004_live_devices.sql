ALTER TABLE "device_observations" ADD COLUMN "annotated_location" text;--> statement-breakpoint
ALTER TABLE "device_observations" ADD COLUMN "notes" text;--> statement-breakpoint
ALTER TABLE "device_observations" ADD COLUMN "mac_address" text;--> statement-breakpoint
ALTER TABLE "device_observations" ADD COLUMN "org_unit_id" text;
