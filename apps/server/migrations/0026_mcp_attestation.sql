-- Issue 19 (attestation). The MCP findings announce domain events whose resource part has an
-- underscore (mcp_finding.raised, mcp_server.drifted); the outbox's check (0013) allowed only letters
-- before the dot, so no finding could commit. The same change as the identity branch's 0025, written
-- to be harmless whichever of them runs first.
ALTER TABLE event_outbox DROP CONSTRAINT IF EXISTS event_outbox_type_check;
ALTER TABLE event_outbox ADD CONSTRAINT event_outbox_type_check CHECK (type ~ '^[a-z][a-z_]*\.[a-z_]+$');
