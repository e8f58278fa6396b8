-- Person search at scale. Each word of a person's folded names (`search_name`), in a table of
-- its own: a search for a word is a range of this index (the persons whose names have a word
-- beginning so), where a pattern over the whole names could only be checked person by person.
-- Row-level security lets an index answer only a condition whose operator cannot leak what it
-- reads (a "leakproof" one): LIKE and the trigram operators are not, so under the tenant policy
-- the trigram index of persons was never used and a name matching nobody read every person.
-- Comparing and prefix-matching words are.
CREATE TABLE person_name_words (
    org_id    uuid NOT NULL REFERENCES organisations (id),
    person_id uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    word      text COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, word, person_id)
);
CREATE INDEX person_name_words_person_idx ON person_name_words (person_id);

-- Before the policy: the migration runs outside any organisation.
INSERT INTO person_name_words (org_id, person_id, word)
SELECT DISTINCT p.org_id, p.id, w
FROM persons p, unnest(string_to_array(p.search_name, ' ')) AS w
WHERE w <> '';

ALTER TABLE person_name_words ENABLE ROW LEVEL SECURITY;
ALTER TABLE person_name_words FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON person_name_words
    USING (org_id = relais_current_org()) WITH CHECK (org_id = relais_current_org());

-- Kept by the database itself whoever writes the names: the application, the retention run's
-- anonymisation, the bench seed. As the owner, so that no writer needs a grant on the table.
CREATE FUNCTION relais_person_name_words() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM person_name_words WHERE person_id = NEW.id;
    END IF;
    INSERT INTO person_name_words (org_id, person_id, word)
    SELECT DISTINCT NEW.org_id, NEW.id, w
    FROM unnest(string_to_array(NEW.search_name, ' ')) AS w
    WHERE w <> '';
    RETURN NULL;
END
$$;

CREATE TRIGGER persons_name_words_insert AFTER INSERT ON persons
    FOR EACH ROW EXECUTE FUNCTION relais_person_name_words();
CREATE TRIGGER persons_name_words_update AFTER UPDATE OF search_name ON persons
    FOR EACH ROW WHEN (OLD.search_name IS DISTINCT FROM NEW.search_name)
    EXECUTE FUNCTION relais_person_name_words();

-- Superseded: the trigram index could not serve a search under the tenant policy.
DROP INDEX persons_search_name_trgm_idx;
