-- Closure and what follows: the post-closure review list (`GET /v1/cases?review_due=true`)
-- reads the organisation's closed cases by review date.
CREATE INDEX cases_org_review_due_idx ON cases (org_id, review_due_on)
    WHERE status = 'closed';
