-- The events of time rather than of a change (DAILY.md, "Events for the organisation's own
-- systems"): a step of a plan overdue (once, the day after its due date), a post-closure review
-- due, a planned contact within 24 hours. Nothing is written when they fall due: the periodic
-- job calls relais_emit_due(), on every replica that runs jobs.
--
-- Each is emitted once per subject and occasion (`once_key`: the due date, the review date, the
-- planned time): a unique index makes a second replica's identical insert do nothing, and a step
-- whose due date moves is overdue again on its new date.

ALTER TABLE events ADD COLUMN once_key text;
CREATE UNIQUE INDEX events_once_idx ON events (org_id, type, subject_id, once_key)
    WHERE once_key IS NOT NULL;

-- The organisation's planned contacts by time (the upcoming ones, across cases).
CREATE INDEX contacts_org_planned_idx ON contacts (org_id, scheduled_at)
    WHERE status = 'planned';

-- Emits at most `max_events` time-based events due at `at` and not emitted yet; answers how many
-- it wrote. Looks back a week, so a job that did not run for a few days catches up, and a first
-- run does not report every old delay. Run it in a loop while it answers `max_events`. It works
-- one organisation at a time, under that organisation's tenant policy (as the triggers its
-- inserts fire do), and writes its dates and times in one format whatever the session's.
CREATE FUNCTION relais_emit_due(at timestamptz, max_events integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public SET timezone = 'UTC' SET datestyle = 'ISO, YMD'
    AS $$
DECLARE
    previous  text := current_setting('relais.org_id', true);
    today     date := (at AT TIME ZONE 'UTC')::date;
    org       uuid;
    emitted   integer := 0;
    n         integer;
BEGIN
    FOR org IN SELECT id FROM organisations ORDER BY id LOOP
        EXIT WHEN emitted >= max_events;
        PERFORM set_config('relais.org_id', org::text, true);
        WITH due AS (
            -- A step still to do, of a case still followed, the day after its due date.
            SELECT 'plan_item.overdue' AS type, p.id AS subject_id, p.case_id,
                   p.due_on::text AS once_key,
                   jsonb_build_object('plan_item_id', p.id, 'case_id', p.case_id,
                                      'party', p.party, 'category', p.category,
                                      'status', p.status, 'due_on', p.due_on) AS data
              FROM plan_items p
              JOIN cases c ON c.id = p.case_id AND c.status NOT IN ('closed', 'archived')
             WHERE p.org_id = org AND p.status IN ('planned', 'in_progress', 'blocked')
               AND p.due_on >= today - 7 AND p.due_on < today
            UNION ALL
            -- A closed case whose review date has come, and whose review was not held yet.
            SELECT 'review.due', c.id, c.id, c.review_due_on::text,
                   jsonb_build_object('case_id', c.id, 'review_due_on', c.review_due_on,
                                      'closed_on', c.closed_on,
                                      'closure_reason', c.closure_reason)
              FROM cases c
             WHERE c.org_id = org AND c.status = 'closed'
               AND c.review_due_on >= today - 7 AND c.review_due_on <= today
               AND NOT EXISTS (SELECT 1 FROM contacts k
                                WHERE k.case_id = c.id AND k.kind = 'post_closure_review'
                                  AND k.occurred_at >= c.closed_on)
            UNION ALL
            -- A planned contact of a case still followed, within the next 24 hours.
            SELECT 'contact.upcoming', k.id, k.case_id, k.scheduled_at::text,
                   jsonb_build_object('contact_id', k.id, 'case_id', k.case_id, 'kind', k.kind,
                                      'scheduled_at', k.scheduled_at, 'author_id', k.author_id)
              FROM contacts k
              JOIN cases c ON c.id = k.case_id AND c.status NOT IN ('closed', 'archived')
             WHERE k.org_id = org AND k.status = 'planned'
               AND k.scheduled_at > at AND k.scheduled_at <= at + interval '24 hours'
        )
        INSERT INTO events (org_id, type, subject_id, case_id, once_key, data)
        SELECT org, d.type, d.subject_id, d.case_id, d.once_key, jsonb_strip_nulls(d.data)
          FROM due d
         WHERE NOT EXISTS (SELECT 1 FROM events e
                            WHERE e.org_id = org AND e.type = d.type
                              AND e.subject_id = d.subject_id AND e.once_key = d.once_key)
         ORDER BY d.type, d.subject_id
         LIMIT max_events - emitted
        ON CONFLICT (org_id, type, subject_id, once_key) WHERE once_key IS NOT NULL DO NOTHING;
        GET DIAGNOSTICS n = ROW_COUNT;
        emitted := emitted + n;
    END LOOP;
    PERFORM set_config('relais.org_id', coalesce(previous, ''), true);
    RETURN emitted;
END
$$;

REVOKE EXECUTE ON FUNCTION relais_emit_due(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_emit_due(timestamptz, integer) TO relais_worker;
