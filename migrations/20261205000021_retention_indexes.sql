-- The retention run at scale (measured on a million cases, `relais bench seed`): indexes, and
-- the expiry of audit events planned as probes of the primary key.
--
-- Audit events expire oldest first, a batch at a time (relais_expire_audit: org_id = current
-- organisation AND at < cutoff ORDER BY at LIMIT n). Without this index each batch read and
-- sorted the organisation's whole audit trail: at 3 million events, one full scan per batch.
CREATE INDEX audit_events_org_at_idx ON audit_events (org_id, at);

-- The purge walks the persons not anonymised yet in id order, a window at a time, skipping
-- those anonymised by earlier runs without reading them.
CREATE INDEX persons_not_anonymised_idx ON persons (org_id, id) WHERE anonymised_at IS NULL;

-- The expiry's DELETE is planned once for any batch size, and a generic plan of
-- `id IN (SELECT … LIMIT $2)` joined the batch to a sequential scan of the whole table. The ids
-- as an array make it a probe of the primary key per id, whatever the plan.
CREATE OR REPLACE FUNCTION relais_expire_audit(before timestamptz, batch integer) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = public
    AS $$
    WITH gone AS (
        DELETE FROM audit_events
        WHERE id = ANY (ARRAY(SELECT id FROM audit_events
                              WHERE org_id = relais_current_org() AND at < before
                              ORDER BY at LIMIT batch))
        RETURNING 1
    )
    SELECT count(*) FROM gone
$$;
