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
-- run does not report every old delay. Run it in a loop while it answers `max_events`.
CREATE FUNCTION relais_emit_due(at timestamptz, max_events integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET timezone = 'UTC'
    AS $$
DECLARE
    today    date := (at AT TIME ZONE 'UTC')::date;
    emitted  integer;
BEGIN
    WITH due AS (
        -- A step still to do, of a case still followed, the day after its due date.
        SELECT p.org_id, 'plan_item.overdue' AS type, p.id AS subject_id, p.case_id,
               p.due_on::text AS once_key,
               jsonb_build_object('plan_item_id', p.id, 'case_id', p.case_id,
                                  'party', p.party, 'category', p.category,
                                  'status', p.status, 'due_on', p.due_on) AS data
          FROM organisations o
          JOIN plan_items p
            ON p.org_id = o.id AND p.status IN ('planned', 'in_progress', 'blocked')
           AND p.due_on >= today - 7 AND p.due_on < today
          JOIN cases c ON c.id = p.case_id AND c.status NOT IN ('closed', 'archived')
        UNION ALL
        -- A closed case whose review date has come.
        SELECT c.org_id, 'review.due', c.id, c.id, c.review_due_on::text,
               jsonb_build_object('case_id', c.id, 'review_due_on', c.review_due_on,
                                  'closed_on', c.closed_on, 'closure_reason', c.closure_reason)
          FROM organisations o
          JOIN cases c
            ON c.org_id = o.id AND c.status = 'closed'
           AND c.review_due_on >= today - 7 AND c.review_due_on <= today
        UNION ALL
        -- A planned contact within the next 24 hours.
        SELECT k.org_id, 'contact.upcoming', k.id, k.case_id, k.scheduled_at::text,
               jsonb_build_object('contact_id', k.id, 'case_id', k.case_id, 'kind', k.kind,
                                  'scheduled_at', k.scheduled_at, 'author_id', k.author_id)
          FROM organisations o
          JOIN contacts k
            ON k.org_id = o.id AND k.status = 'planned'
           AND k.scheduled_at > at AND k.scheduled_at <= at + interval '24 hours'
    )
    INSERT INTO events (org_id, type, subject_id, case_id, once_key, data)
    SELECT d.org_id, d.type, d.subject_id, d.case_id, d.once_key, jsonb_strip_nulls(d.data)
      FROM due d
     WHERE NOT EXISTS (SELECT 1 FROM events e
                        WHERE e.org_id = d.org_id AND e.type = d.type
                          AND e.subject_id = d.subject_id AND e.once_key = d.once_key)
     ORDER BY d.type, d.org_id, d.subject_id
     LIMIT max_events
    ON CONFLICT (org_id, type, subject_id, once_key) WHERE once_key IS NOT NULL DO NOTHING;
    GET DIAGNOSTICS emitted = ROW_COUNT;
    RETURN emitted;
END
$$;

REVOKE EXECUTE ON FUNCTION relais_emit_due(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relais_emit_due(timestamptz, integer) TO relais_worker;
