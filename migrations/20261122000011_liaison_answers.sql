-- The partner's side of liaison sheets: a registered partner reads the sheets addressed to it
-- and answers them itself (`POST /v1/liaisons/{id}/acknowledgement`), optionally with a message.
--
-- `answer_message` is what the destination wrote with its answer (acknowledged or declined); it
-- only exists once the liaison is answered. `answered_by` is then the partner's own agent row.
-- The partner's inbox lists its liaisons newest first: the index on `destination_partner_id`
-- (which also serves the foreign key) gains `id` for keyset pages.

ALTER TABLE liaisons
    ADD COLUMN answer_message text
        CHECK (length(answer_message) BETWEEN 1 AND 2000 AND btrim(answer_message) <> ''),
    ADD CONSTRAINT liaisons_answer_message_when_answered
        CHECK (answer_message IS NULL OR answered_at IS NOT NULL);

DROP INDEX liaisons_partner_idx;
CREATE INDEX liaisons_partner_idx ON liaisons (destination_partner_id, id);
