-- pgbench baseline of GET /v1/cases/{id} read by a worker of the case team: the least SQL that
-- gives the same answer and the same audit event, as ONE transaction (the server's read path is
-- measured against it by scripts/bench.sh).
--
-- Variables, given with -D: org (the organisation id), subject (the worker's token subject),
-- case (the case id), run (a text unique to this run), n (0; counts each client's
-- transactions, for the request id).
\set n :n + 1
BEGIN;
-- The tenant transaction as the server opens it: row-level security for one organisation, and
-- a read's audit event need not wait for the disk flush.
SELECT set_config('role', 'relais_app', true),
       set_config('relais.org_id', :org, true),
       set_config('synchronous_commit', 'off', true);
-- The caller's agent: a plain read by (org_id, subject), no write and no row lock.
SELECT id AS agent_id FROM agents WHERE org_id = :org AND subject = :subject \gset
-- The case as the API shows it (team and post-closure review flag included), only if the
-- caller is on its team: the join is the visibility check.
SELECT c.id, c.person_id, c.status, c.reason, c.origin, c.referent_id,
       ARRAY(SELECT t.agent_id FROM case_team t WHERE t.case_id = c.id ORDER BY t.agent_id)
           AS team_ids,
       c.opened_on, c.target_end_on, c.closed_on, c.closure_reason, c.orientation,
       c.review_due_on, c.last_contact_at, c.created_at, c.updated_at, c.version,
       (c.closed_on IS NOT NULL AND EXISTS (
           SELECT 1 FROM contacts k
           WHERE k.case_id = c.id AND k.kind = 'post_closure_review'
             AND k.occurred_at >= c.closed_on)) AS review_held
FROM cases c
JOIN case_team m ON m.case_id = c.id AND m.agent_id = :agent_id
WHERE c.id = :case \gset case_
-- The audit event of the read.
INSERT INTO audit_events (id, org_id, actor_id, actor_subject, action, resource_type,
                          resource_id, person_id, reason, request_id)
VALUES (bench.uuid_v7(), :org, :agent_id, :subject, 'read', 'case', :case_id, :case_person_id,
        NULL, :run::text || '-get-' || :client_id::text || '-' || :n::text);
COMMIT;
