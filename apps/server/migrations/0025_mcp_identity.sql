-- Issue 19 (identity). The MCP findings and drift announce domain events whose resource part has an
-- underscore (mcp_finding.raised, mcp_server.drifted); the outbox's check (0013) allowed only letters
-- before the dot, so the first finding of any kind could not commit. Written to be harmless if another
-- migration of issue 19 makes the same change first.
ALTER TABLE event_outbox DROP CONSTRAINT IF EXISTS event_outbox_type_check;
ALTER TABLE event_outbox ADD CONSTRAINT event_outbox_type_check CHECK (type ~ '^[a-z][a-z_]*\.[a-z_]+$');
