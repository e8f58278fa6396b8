-- The organisation's letterhead: what every printed document carries at its top (name,
-- address, phone, e-mail, website) and its logo. One row per organisation, written by its
-- administrators; until then documents print the organisation's registered name.

CREATE TABLE organisation_profiles (
    org_id         uuid PRIMARY KEY REFERENCES organisations (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The street lines, in order (building, street, locality), at most three.
    address_lines  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(address_lines) <= 3),
    postcode       text CHECK (length(postcode) BETWEEN 1 AND 10),
    city           text CHECK (length(city) BETWEEN 1 AND 100),
    phone          text CHECK (length(phone) BETWEEN 1 AND 30),
    email          text CHECK (length(email) BETWEEN 3 AND 254),
    website        text CHECK (length(website) BETWEEN 1 AND 200),
    version        integer NOT NULL CHECK (version >= 1),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     uuid REFERENCES agents (id)
);
CREATE INDEX organisation_profiles_updated_by_idx ON organisation_profiles (updated_by);
REVOKE ALL ON organisation_profiles FROM relais_app;
GRANT SELECT, INSERT, UPDATE ON organisation_profiles TO relais_app;
ALTER TABLE organisation_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisation_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organisation_profiles
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- The logo, apart from the profile so that reading the profile never carries the image. The
-- server checks the image (a PNG or JPEG it can decode, of bounded size) before it is stored.
CREATE TABLE organisation_logos (
    org_id      uuid PRIMARY KEY REFERENCES organisations (id),
    media_type  text NOT NULL CHECK (media_type IN ('image/png', 'image/jpeg')),
    content     bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 524288),
    width       integer NOT NULL CHECK (width BETWEEN 1 AND 4096),
    height      integer NOT NULL CHECK (height BETWEEN 1 AND 4096),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  uuid REFERENCES agents (id)
);
CREATE INDEX organisation_logos_updated_by_idx ON organisation_logos (updated_by);
REVOKE ALL ON organisation_logos FROM relais_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organisation_logos TO relais_app;
ALTER TABLE organisation_logos ENABLE ROW LEVEL SECURITY;
ALTER TABLE organisation_logos FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organisation_logos
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());
