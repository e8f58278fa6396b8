-- The case list's "past target" filter at scale. An open case's target date, NULL once the case
-- is closed or archived, as a column of its own: PostgreSQL then keeps statistics of exactly
-- that (a case list asking for open cases past their target on a day when there are none plans
-- an index scan finding nothing at once, where the two conditions apart looked like a quarter of
-- the table and walked all of it), and one index answers the filter.
ALTER TABLE cases
    ADD COLUMN open_target_on date
        GENERATED ALWAYS AS (
            CASE WHEN status IN ('closed', 'archived') THEN NULL ELSE target_end_on END
        ) STORED;

CREATE INDEX cases_open_target_idx ON cases (org_id, open_target_on)
    WHERE open_target_on IS NOT NULL;
