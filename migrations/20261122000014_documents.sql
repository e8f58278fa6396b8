-- Case documents (pièces justificatives): files uploaded to a case — PDF, PNG or JPEG,
-- recognised by their content — kept in PostgreSQL with their SHA-256.
--
-- The metadata (`documents`) and the bytes (`document_contents`) live in two tables:
-- - listing, linking (an application's checklist references documents (id)) and the audit never
--   read the bytes, and no `SELECT *` or join can drag them along by mistake;
-- - the retention job can drop the bytes of an expired document while keeping the record that it
--   existed (name, type, size, SHA-256, who uploaded it and when);
-- - each table gets the privileges its use needs.
-- (TOAST would keep large values out of line in a single table too; the split is for the three
-- reasons above, not for speed.)
--
-- A document is written once: the application never updates or deletes it (it is a record of what
-- the person provided; a wrong upload is superseded by a new one, and the checklist of an
-- application links the right one). Erasure belongs to the retention job, which runs as the
-- migration owner, not as relais_app.

CREATE TABLE documents (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organisations (id),
    case_id         uuid NOT NULL REFERENCES cases (id),
    -- The name the uploader gave (no path, no control character); the type comes from the
    -- content, and the name's extension must agree with it.
    filename        text NOT NULL CHECK (
        length(filename) BETWEEN 1 AND 255 AND btrim(filename) <> ''
        AND filename !~ '[/\\[:cntrl:]]'
    ),
    content_type    text NOT NULL
                    CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    -- The upload limit is a setting (RELAIS_UPLOAD_LIMIT_BYTES, 10 MiB by default, 64 MiB at most).
    size_bytes      integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 67108864),
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    description     text CHECK (length(description) BETWEEN 1 AND 500 AND btrim(description) <> ''),
    uploaded_by     uuid NOT NULL REFERENCES agents (id),
    uploaded_at     timestamptz NOT NULL DEFAULT now(),
    -- Documents are immutable: the version stays 1 and serves the metadata's ETag.
    version         integer NOT NULL DEFAULT 1 CHECK (version >= 1)
);
-- A case's documents (keyset pages), the organisation's, and who uploaded them.
CREATE INDEX documents_case_idx ON documents (case_id, id);
CREATE INDEX documents_org_idx ON documents (org_id, id);
CREATE INDEX documents_uploaded_by_idx ON documents (uploaded_by);

CREATE TABLE document_contents (
    document_id     uuid PRIMARY KEY REFERENCES documents (id),
    org_id          uuid NOT NULL REFERENCES organisations (id),
    content         bytea NOT NULL CHECK (length(content) BETWEEN 1 AND 67108864)
);
CREATE INDEX document_contents_org_idx ON document_contents (org_id);

-- Written once, read many times: no UPDATE, DELETE or TRUNCATE for the application.
GRANT SELECT, INSERT ON documents TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON documents FROM relais_app;
GRANT SELECT, INSERT ON document_contents TO relais_app;
REVOKE UPDATE, DELETE, TRUNCATE ON document_contents FROM relais_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['documents', 'document_contents']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (org_id = relais_current_org()) '
            'WITH CHECK (org_id = relais_current_org())', t);
    END LOOP;
END
$$;
