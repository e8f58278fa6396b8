-- The periodic jobs shared by the replicas (OPERATIONS.md): one row per job, holding its lease
-- (which replica runs it, until when) and when it last succeeded. A lease is taken and given
-- back in short transactions of its own, so it works through any connection pooler, where a
-- session's advisory lock would stay with whichever server connection took it. Not tenant data:
-- no organisation's records, only job names and times.
CREATE TABLE job_runs (
    job                text PRIMARY KEY CHECK (length(job) BETWEEN 1 AND 100),
    holder             uuid,
    leased_until       timestamptz,
    last_started_at    timestamptz,
    last_succeeded_at  timestamptz,
    last_failed_at     timestamptz,
    CHECK ((holder IS NULL) = (leased_until IS NULL))
);

GRANT SELECT, INSERT, UPDATE ON job_runs TO relais_worker;
REVOKE DELETE, TRUNCATE ON job_runs FROM relais_app;
