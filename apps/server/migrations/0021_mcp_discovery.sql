-- 0021 mcp discovery (docs/mcp.md): what AIM learns about MCP servers through the protocol and what
-- people and agents say about them. Scans with their tool sets (definitions stored once per
-- fingerprint), approvals and the pins they set, findings, server keys, agents' declarations and
-- attestations, the organization's MCP settings, and approved tools as capabilities
-- (mcp:<server slug>/<tool>) so that grants and policies cover tool calls.

-- Domain events of MCP servers name a resource with an underscore (mcp_server.drifted,
-- mcp_finding.raised); the outbox's check (0013) allowed only letters before the dot.
ALTER TABLE event_outbox DROP CONSTRAINT event_outbox_type_check;
ALTER TABLE event_outbox ADD CONSTRAINT event_outbox_type_check CHECK (type ~ '^[a-z][a-z_]*\.[a-z_]+$');

-- A server's slug names it in decision actions. Existing servers get one from their name (made
-- unique with a suffix where two names reduce to the same slug).
ALTER TABLE mcp_servers ADD COLUMN slug text;
WITH base AS (
  SELECT id, organization_id, status,
         coalesce(nullif(left(regexp_replace(regexp_replace(lower(name), '[^a-z0-9_-]+', '-', 'g'), '^[-_]+|-+$', '', 'g'), 34), ''), 'server') AS s
    FROM mcp_servers
), numbered AS (
  SELECT id, s, row_number() OVER (PARTITION BY organization_id, s ORDER BY id) AS n FROM base
)
UPDATE mcp_servers m SET slug = CASE WHEN n.n = 1 THEN n.s ELSE n.s || '-' || n.n END FROM numbered n WHERE n.id = m.id;
ALTER TABLE mcp_servers ALTER COLUMN slug SET NOT NULL;
ALTER TABLE mcp_servers ADD CONSTRAINT mcp_servers_slug_check CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,39}$');
-- Unique among every server of the organization, revoked ones included: a slug is the namespace of
-- actions that grants refer to, so a new server never inherits a revoked one's grants.
CREATE UNIQUE INDEX mcp_servers_org_slug ON mcp_servers (organization_id, slug);
-- When the scheduler scans it next (Streamable HTTP servers that are not suspended or revoked).
ALTER TABLE mcp_servers ADD COLUMN next_scan_at timestamptz;
ALTER TABLE mcp_servers ADD COLUMN last_scan_id text;
-- The confidence score as last computed (docs/mcp.md, "confidence"), for lists; the detail recomputes.
ALTER TABLE mcp_servers ADD COLUMN confidence_score numeric(5, 2) CHECK (confidence_score IS NULL OR confidence_score BETWEEN 0 AND 100);
ALTER TABLE mcp_servers ADD COLUMN confidence jsonb;
CREATE INDEX mcp_servers_next_scan ON mcp_servers (next_scan_at) WHERE transport = 'streamable_http' AND status NOT IN ('suspended', 'revoked');

CREATE TABLE mcp_settings (
  organization_id  text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  settings         jsonb NOT NULL DEFAULT '{}',
  updated_by_type  text NOT NULL CHECK (updated_by_type IN ('user', 'api_key')),
  updated_by_id    text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- A server's Ed25519 keys, registered with proof of possession (the agent protocol); they sign its
-- server card. The id is the key's JWK thumbprint (RFC 7638), as for agents.
CREATE TABLE mcp_server_keys (
  id               text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{43}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  mcp_server_id    text NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  public_key       bytea NOT NULL CHECK (length(public_key) = 32),
  created_by_type  text NOT NULL CHECK (created_by_type IN ('user', 'api_key')),
  created_by_id    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz,
  revoked_reason   text CHECK (revoked_reason IS NULL OR length(revoked_reason) <= 500),
  UNIQUE (organization_id, public_key)
);
CREATE INDEX mcp_server_keys_server ON mcp_server_keys (organization_id, mcp_server_id, created_at DESC);

-- Tool definitions, stored once per organization and fingerprint (scans refer to them).
CREATE TABLE mcp_tool_definitions (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  fingerprint      text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  name             text NOT NULL,
  definition       jsonb NOT NULL,
  first_seen_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, fingerprint)
);

CREATE TABLE mcp_scans (
  id               text PRIMARY KEY CHECK (id ~ '^msc_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  mcp_server_id    text NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  trigger          text NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
  status           text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  requested_by_type text CHECK (requested_by_type IN ('user', 'api_key', 'system')),
  requested_by_id  text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  failure_reason   text CHECK (failure_reason ~ '^[a-z_]{1,40}$'),
  failure_message  text CHECK (failure_message IS NULL OR length(failure_message) <= 1000),
  protocol_version text CHECK (protocol_version IS NULL OR length(protocol_version) <= 40),
  server_info      jsonb,
  capabilities     jsonb,
  instructions     text CHECK (instructions IS NULL OR length(instructions) <= 20000),
  -- [{ "name", "fingerprint" }] sorted by name; definitions in mcp_tool_definitions.
  tools            jsonb NOT NULL DEFAULT '[]',
  resources        jsonb NOT NULL DEFAULT '[]',
  prompts          jsonb NOT NULL DEFAULT '[]',
  tool_count       integer NOT NULL DEFAULT 0,
  resource_count   integer NOT NULL DEFAULT 0,
  prompt_count     integer NOT NULL DEFAULT 0,
  tool_set_fingerprint text CHECK (tool_set_fingerprint IS NULL OR tool_set_fingerprint ~ '^[0-9a-f]{64}$'),
  tls_certificate_sha256 text CHECK (tls_certificate_sha256 IS NULL OR tls_certificate_sha256 ~ '^[0-9a-f]{64}$'),
  -- The server card as fetched (capped), and what its verification concluded.
  server_card      jsonb,
  server_card_status text NOT NULL DEFAULT 'absent' CHECK (server_card_status IN ('absent', 'unsigned', 'valid', 'invalid')),
  server_card_key_id text,
  server_card_message text CHECK (server_card_message IS NULL OR length(server_card_message) <= 1000),
  -- Against the approved pins (null: no approved set, or the scan failed).
  drift            jsonb,
  CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
CREATE INDEX mcp_scans_server ON mcp_scans (organization_id, mcp_server_id, id DESC);
-- One running scan per server at a time.
CREATE UNIQUE INDEX mcp_scans_running ON mcp_scans (mcp_server_id) WHERE status = 'running';

CREATE TABLE mcp_approvals (
  id               text PRIMARY KEY CHECK (id ~ '^mca_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  mcp_server_id    text NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  scan_id          text NOT NULL REFERENCES mcp_scans (id),
  tool_set_fingerprint text NOT NULL CHECK (tool_set_fingerprint ~ '^[0-9a-f]{64}$'),
  tools            jsonb NOT NULL,
  note             text CHECK (note IS NULL OR length(note) <= 2000),
  approved_by_type text NOT NULL CHECK (approved_by_type IN ('user', 'api_key')),
  approved_by_id   text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mcp_approvals_server ON mcp_approvals (organization_id, mcp_server_id, id DESC);

-- The approved definition of each tool of a server, and how the last scan compares.
CREATE TABLE mcp_tool_pins (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  mcp_server_id    text NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  tool_name        text NOT NULL,
  fingerprint      text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  current_fingerprint text CHECK (current_fingerprint IS NULL OR current_fingerprint ~ '^[0-9a-f]{64}$'),
  state            text NOT NULL DEFAULT 'pinned' CHECK (state IN ('pinned', 'changed', 'removed')),
  blocked          boolean NOT NULL DEFAULT false,
  action           text,
  capability_id    text REFERENCES capabilities (id) ON DELETE SET NULL,
  approval_id      text NOT NULL REFERENCES mcp_approvals (id),
  pinned_at        timestamptz NOT NULL DEFAULT now(),
  drifted_at       timestamptz,
  PRIMARY KEY (mcp_server_id, tool_name)
);
CREATE INDEX mcp_tool_pins_org ON mcp_tool_pins (organization_id, mcp_server_id);

-- Approved tools are capabilities mcp:<slug>/<tool>, created and kept by approval.
ALTER TABLE capabilities DROP CONSTRAINT capabilities_name_check;
ALTER TABLE capabilities ADD CONSTRAINT capabilities_name_check CHECK (length(name) <= 100 AND (
  name ~ '^[a-z][a-z0-9_-]{0,39}:[a-z0-9_-][a-z0-9_.-]{0,59}$' OR name ~ '^mcp:[a-z0-9][a-z0-9_-]{0,39}/[A-Za-z0-9_.-]{1,64}$'));
ALTER TABLE capabilities ADD COLUMN mcp_server_id text REFERENCES mcp_servers (id) ON DELETE CASCADE;
ALTER TABLE capabilities ADD COLUMN mcp_tool text;
ALTER TABLE capabilities ADD CONSTRAINT capabilities_mcp_check CHECK ((mcp_server_id IS NULL) = (mcp_tool IS NULL));

CREATE TABLE mcp_findings (
  id               text PRIMARY KEY CHECK (id ~ '^mcf_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  mcp_server_id    text NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('drift', 'poisoning', 'attestation_mismatch', 'tls_certificate_changed', 'server_card_invalid')),
  severity         text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'resolved')),
  -- Findings with the same key count on one open finding (e.g. poisoning:<server>:<tool>:<heuristic>:<fingerprint>).
  dedup_key        text NOT NULL CHECK (length(dedup_key) <= 400),
  title            text NOT NULL CHECK (length(title) <= 200),
  summary          text NOT NULL CHECK (length(summary) <= 2000),
  evidence         jsonb NOT NULL DEFAULT '{}',
  scan_id          text REFERENCES mcp_scans (id) ON DELETE SET NULL,
  attestation_id   text,
  alert_id         text,
  occurrences      integer NOT NULL DEFAULT 1,
  first_seen_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  dismissed_by_type text CHECK (dismissed_by_type IN ('user', 'api_key')),
  dismissed_by_id  text,
  dismissed_at     timestamptz,
  dismiss_note     text CHECK (dismiss_note IS NULL OR length(dismiss_note) <= 2000),
  resolved_at      timestamptz
);
CREATE UNIQUE INDEX mcp_findings_open_dedup ON mcp_findings (organization_id, dedup_key) WHERE status = 'open';
CREATE INDEX mcp_findings_server ON mcp_findings (organization_id, mcp_server_id, id DESC);
CREATE INDEX mcp_findings_org ON mcp_findings (organization_id, status, id DESC);

-- What an agent says it uses (its declaration, replaced whole each time) ...
CREATE TABLE agent_mcp_servers (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  -- transport + url or command, normalized: one row per server the agent names.
  descriptor_key   text NOT NULL CHECK (length(descriptor_key) <= 2200),
  descriptor       jsonb NOT NULL,
  mcp_server_id    text REFERENCES mcp_servers (id) ON DELETE SET NULL,
  declared_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, descriptor_key)
);
CREATE INDEX agent_mcp_servers_server ON agent_mcp_servers (organization_id, mcp_server_id);

-- ... and what it saw there (signed by the agent's key; the JWS kept as received).
CREATE TABLE mcp_attestations (
  id               text PRIMARY KEY CHECK (id ~ '^mat_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  key_id           text NOT NULL,
  mcp_server_id    text REFERENCES mcp_servers (id) ON DELETE SET NULL,
  descriptor_key   text NOT NULL CHECK (length(descriptor_key) <= 2200),
  descriptor       jsonb NOT NULL,
  tools            jsonb NOT NULL,
  tool_set_fingerprint text NOT NULL CHECK (tool_set_fingerprint ~ '^[0-9a-f]{64}$'),
  observed_at      timestamptz NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  signature        text NOT NULL CHECK (length(signature) <= 1000000),
  comparison       text NOT NULL CHECK (comparison IN ('match', 'mismatch', 'unregistered', 'no_reference'))
);
CREATE INDEX mcp_attestations_server ON mcp_attestations (organization_id, mcp_server_id, id DESC);
CREATE INDEX mcp_attestations_agent ON mcp_attestations (organization_id, agent_id, id DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['mcp_settings', 'mcp_server_keys', 'mcp_tool_definitions', 'mcp_scans', 'mcp_approvals', 'mcp_tool_pins',
                           'mcp_findings', 'agent_mcp_servers', 'mcp_attestations'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON mcp_settings, mcp_server_keys, mcp_scans, mcp_tool_pins, mcp_findings TO {{app_role}};
GRANT SELECT, INSERT ON mcp_tool_definitions, mcp_approvals, mcp_attestations TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_mcp_servers TO {{app_role}};
-- Old scans are pruned (the last 200 per server are kept) and pins replaced on re-approval.
GRANT DELETE ON mcp_scans, mcp_tool_pins TO {{app_role}};

-- The scheduled scan runs in the system scope: this names the servers due (new ones included), and
-- nothing else about them.
CREATE FUNCTION aim_mcp_servers_due_for_scan(max_rows integer)
  RETURNS TABLE (organization_id text, mcp_server_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT m.organization_id, m.id FROM mcp_servers m
         WHERE m.transport = 'streamable_http' AND m.status NOT IN ('suspended', 'revoked')
           AND (m.next_scan_at IS NULL OR m.next_scan_at <= now())
         ORDER BY m.next_scan_at NULLS FIRST, m.id LIMIT max_rows $$;
REVOKE ALL ON FUNCTION aim_mcp_servers_due_for_scan(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_mcp_servers_due_for_scan(integer) TO {{app_role}};
