-- pgbench baseline of POST /v1/cases/{id}/plan/items with a fresh Idempotency-Key: the least
-- SQL that gives the same answer, the same timeline event, the same audit event and the same
-- stored response for replays, as ONE durable transaction (scripts/bench.sh measures the
-- server against it).
--
-- Variables, given with -D: org (the organisation id), subject (the worker's token subject),
-- case (the case id), due_on (the item's deadline), body (a stored response of the same size
-- as the server's), run (a text unique to this run), n (0; counts each client's transactions,
-- so that every key is unique: run, client and counter).
\set n :n + 1
BEGIN;
-- A write: the change, its audit event and the key commit durably together.
SELECT set_config('role', 'relais_app', true),
       set_config('relais.org_id', :org, true),
       set_config('synchronous_commit', 'on', true);
-- Claim the key. A concurrent retry waits on the primary key until this commit, then finds the
-- stored response. RETURNING nothing (a key already used) makes gset fail: keys must be fresh.
INSERT INTO idempotency_keys (org_id, principal, key, request_hash)
VALUES (:org, :subject, :run::text || '-' || :client_id::text || '-' || :n::text,
        decode('5f0c3c1e9a4b7d2f8e6a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e', 'hex'))
ON CONFLICT (org_id, principal, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, status = NULL, content_type = NULL,
        location = NULL, etag = NULL, body = NULL, created_at = now()
    WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING key AS idem_key \gset
-- The caller's agent: a plain read, no write and no row lock.
SELECT id AS agent_id FROM agents WHERE org_id = :org AND subject = :subject \gset
-- The case, only if the caller is on its team; what the handler checks: open, opened before
-- the deadline, and whose person the audit event names.
SELECT c.id, c.person_id, c.status, c.opened_on
FROM cases c
JOIN case_team m ON m.case_id = c.id AND m.agent_id = :agent_id
WHERE c.id = :case \gset case_
-- The item and its timeline event in one statement, returning the item as the API shows it.
WITH i AS (
    INSERT INTO plan_items (id, org_id, case_id, party, category, domain, title, details,
                            scheme_id, application_id, due_on, created_by, updated_by)
    VALUES (bench.uuid_v7(), :org, :case_id, 'worker', 'investigation', 'housing',
            'Rechercher un logement social', 'Déposer la demande de logement social en ligne.',
            NULL, NULL, :due_on, :agent_id, :agent_id)
    RETURNING *
), e AS (
    INSERT INTO case_events (id, org_id, case_id, actor_id, kind, data)
    SELECT bench.uuid_v7(), i.org_id, i.case_id, i.created_by, 'plan_item_added',
           jsonb_build_object('item_id', i.id, 'title', i.title, 'party', i.party,
                              'category', i.category, 'due_on', i.due_on)
    FROM i
)
SELECT id, case_id, party, category, domain, title, details, scheme_id, application_id, due_on,
       status, done_on, outcome, created_at, created_by, updated_at, updated_by, version
FROM i \gset item_
-- The audit event of the creation.
INSERT INTO audit_events (id, org_id, actor_id, actor_subject, action, resource_type,
                          resource_id, person_id, reason, request_id)
VALUES (bench.uuid_v7(), :org, :agent_id, :subject, 'create', 'plan_item', :item_id,
        :case_person_id, NULL, :idem_key);
-- The response, stored for replays of the same key.
UPDATE idempotency_keys
SET status = 201, content_type = 'application/json',
    location = '/v1/cases/' || :case_id::text || '/plan/items/' || :item_id::text,
    etag = '"1"', body = convert_to(:body, 'UTF8')
WHERE org_id = :org AND principal = :subject AND key = :idem_key;
COMMIT;
