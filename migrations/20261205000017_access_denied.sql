-- The DPO lists refused accesses (`GET /v1/audit-events?action=access_denied`, PROTECTION.md):
-- the audit log is filtered by kind of event, newest first.
CREATE INDEX audit_events_action_idx ON audit_events (org_id, action, id DESC);
