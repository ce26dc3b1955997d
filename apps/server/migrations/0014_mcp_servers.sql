-- 0014 mcp servers: the registry of an organization's MCP servers (docs/mcp.md). A server is
-- reached over Streamable HTTP at an endpoint URL, or launched locally over stdio by the agents that use
-- it: for those, the launch command is a description only (AIM never runs commands). Discovery, keys,
-- tool pins and drift come later and will add their own tables.

CREATE TABLE mcp_servers (
  id               text PRIMARY KEY CHECK (id ~ '^mcp_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  description      text CHECK (description IS NULL OR length(description) <= 2000),
  publisher        text CHECK (publisher IS NULL OR length(btrim(publisher)) BETWEEN 1 AND 200),
  owner_id         text REFERENCES users (id) ON DELETE SET NULL,
  transport        text NOT NULL CHECK (transport IN ('streamable_http', 'stdio')),
  endpoint_url     text CHECK (endpoint_url IS NULL OR length(endpoint_url) <= 2048),
  launch_command   text CHECK (launch_command IS NULL OR length(launch_command) <= 2000),
  tags             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  -- pending: registered, not yet verified; verified, approved and drifted come with discovery and
  -- approval; suspended is reversible; revoked is final.
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'verified', 'approved', 'drifted', 'suspended', 'revoked')),
  status_reason    text CHECK (status_reason IS NULL OR length(status_reason) <= 500),
  created_by_type  text NOT NULL CHECK (created_by_type IN ('user', 'api_key')),
  created_by_id    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  -- Exactly one way to reach the server.
  CHECK ((transport = 'streamable_http' AND endpoint_url IS NOT NULL AND launch_command IS NULL)
      OR (transport = 'stdio' AND launch_command IS NOT NULL AND endpoint_url IS NULL))
);
-- Names identify servers to people (and, later, actions `mcp:<server>/<tool>`): unique among an
-- organization's servers that are not revoked.
CREATE UNIQUE INDEX mcp_servers_org_name ON mcp_servers (organization_id, lower(name)) WHERE status <> 'revoked';
CREATE INDEX mcp_servers_org_id ON mcp_servers (organization_id, id DESC);
CREATE INDEX mcp_servers_org_status ON mcp_servers (organization_id, status, id DESC);
CREATE INDEX mcp_servers_org_owner ON mcp_servers (organization_id, owner_id, id DESC);
CREATE INDEX mcp_servers_tags ON mcp_servers USING gin (tags);

ALTER TABLE mcp_servers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mcp_servers
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
-- Servers are never deleted: revocation is final and keeps the row (and its audit trail's target).
GRANT SELECT, INSERT, UPDATE ON mcp_servers TO {{app_role}};
