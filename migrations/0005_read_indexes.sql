-- The admin API's school filter finds a school's people by the school they are linked to, or by the school id
-- the roster names when that school is not (yet) an org in the ledger. With an index on both sides PostgreSQL
-- combines them (BitmapOr); without this one the second half made every school-filtered page a scan of people.
CREATE INDEX IF NOT EXISTS "people_school_external" ON "people" USING btree ("school_external_id");
