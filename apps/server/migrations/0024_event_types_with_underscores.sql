-- Issue 19 (findings). Event types whose subject has an underscore (mcp_finding.raised,
-- mcp_server.drifted) were refused by the outbox's type check (0013), written when every subject was
-- one word, so no MCP finding could commit. The check now allows <subject>.<past tense> with a-z and _
-- on both sides. The identity and attestation branches make the same change; written to be harmless
-- whichever runs first.
ALTER TABLE event_outbox DROP CONSTRAINT IF EXISTS event_outbox_type_check;
ALTER TABLE event_outbox ADD CONSTRAINT event_outbox_type_check CHECK (type ~ '^[a-z][a-z_]*\.[a-z_]+$');
