-- A field named `…_at` is an instant: a consent's `given_at` and a person's `informed_at` were
-- dates. An existing date becomes the start of that day in UTC (the service's day), so the day
-- reads the same in UTC and in France.
ALTER TABLE consents
    ALTER COLUMN given_at TYPE timestamptz USING (given_at::timestamp AT TIME ZONE 'UTC');
ALTER TABLE persons
    ALTER COLUMN informed_at TYPE timestamptz USING (informed_at::timestamp AT TIME ZONE 'UTC');
