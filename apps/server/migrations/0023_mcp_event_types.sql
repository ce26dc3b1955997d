-- 0023 (docs/mcp.md): domain event types whose subject has an underscore (mcp_server.drifted,
-- mcp_finding.raised). The outbox's check, from 0013, allowed only letters before the dot, so no MCP
-- event could be recorded. Idempotent, in case another migration of issue 19 widened it first.
ALTER TABLE event_outbox DROP CONSTRAINT IF EXISTS event_outbox_type_check;
ALTER TABLE event_outbox ADD CONSTRAINT event_outbox_type_check CHECK (type ~ '^[a-z][a-z_]*\.[a-z_]+$');
