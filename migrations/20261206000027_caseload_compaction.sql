-- The caseload counts of past days, folded into one row per referent and measure. The statistics
-- add up every row before today: the cases past their target and the overdue steps were a row per
-- referent and past day, hundreds of thousands at a million cases. Past days are all counted
-- alike, so their rows can be one (day -infinity) without changing any sum; a later change to a
-- case or step of a past day adds to that day's row again (possibly below zero: a sum of
-- deltas), and the next folding takes it in. The background worker folds every few minutes;
-- readers then sum a row per referent and measure, plus the days since.

-- Readers and the folding read the rows before a day by this index.
CREATE INDEX caseload_counts_day_idx ON caseload_counts (org_id, day);

-- Folds the rows of the days before `before` of every organisation; returns how many rows it
-- folded. `before` must be no later than any reader's today. Safe to run on several replicas at
-- once, and beside writers: a row is deleted once, by whichever folding locks it first, and a
-- folding never waits for a row (the -infinity rows of these measures are written by foldings
-- only, in key order).
CREATE FUNCTION relais_caseload_compact(before date) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
DECLARE
    previous text := current_setting('relais.org_id', true);
    org uuid;
    folded bigint := 0;
    moved bigint;
    deltas caseload_delta[];
BEGIN
    FOR org IN SELECT id FROM organisations ORDER BY id LOOP
        -- The rows are the organisation's, under its tenant policy.
        PERFORM set_config('relais.org_id', org::text, true);
        -- Only the rows no writer holds, taken without waiting: a writer locks its rows in key
        -- order, a scan by day would not, and the two would deadlock. A row skipped is folded
        -- next time.
        WITH gone AS (
            DELETE FROM caseload_counts
            WHERE (org_id, referent_id, measure, day) IN (
                SELECT c.org_id, c.referent_id, c.measure, c.day FROM caseload_counts c
                WHERE c.org_id = org AND c.day > '-infinity' AND c.day < before
                  AND c.measure IN ('open_target', 'pending_due')
                FOR UPDATE SKIP LOCKED)
            RETURNING org_id, referent_id, measure, n
        )
        SELECT count(*), array_agg(ROW(org_id, referent_id, measure, NULL, n)::caseload_delta)
        INTO moved, deltas
        FROM gone;
        PERFORM relais_caseload_add(deltas);
        folded := folded + moved;
    END LOOP;
    PERFORM set_config('relais.org_id', coalesce(previous, ''), true);
    RETURN folded;
END
$$;

REVOKE EXECUTE ON FUNCTION relais_caseload_compact(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_caseload_compact(date) TO relais_worker;

SELECT relais_caseload_compact(current_date - 1);
