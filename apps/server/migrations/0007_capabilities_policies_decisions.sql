-- 0007 authorization: the capability catalog, grants and requests; versioned policies; and every
-- decision AIM takes (verification events, partitioned by month) with the violations it found.
-- docs/authorization.md describes the evaluation.

ALTER TABLE organizations
  -- Capabilities declared at self-registration whose risk is low are granted without a person.
  ADD COLUMN auto_approve_low_risk_capabilities boolean NOT NULL DEFAULT false,
  -- How long a pending decision waits for a person before it turns into deny.
  ADD COLUMN approval_timeout_seconds integer NOT NULL DEFAULT 900 CHECK (approval_timeout_seconds BETWEEN 30 AND 86400),
  -- Bumped by every policy change: decisions name it, and caches of the policy set key on it.
  ADD COLUMN policy_revision bigint NOT NULL DEFAULT 0;

CREATE TABLE capabilities (
  id               text PRIMARY KEY CHECK (id ~ '^cap_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(name) <= 100 AND name ~ '^[a-z][a-z0-9_-]{0,39}:[a-z0-9_-][a-z0-9_.-]{0,59}$'),
  description      text CHECK (description IS NULL OR length(description) <= 1000),
  risk_level       text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);

CREATE TABLE capability_requests (
  id               text PRIMARY KEY CHECK (id ~ '^crq_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  capability_id    text NOT NULL REFERENCES capabilities (id) ON DELETE CASCADE,
  resource_pattern text CHECK (resource_pattern IS NULL OR length(resource_pattern) BETWEEN 1 AND 500),
  reason           text CHECK (reason IS NULL OR length(reason) <= 1000),
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  requested_by_type text NOT NULL CHECK (requested_by_type IN ('user', 'api_key', 'agent', 'system')),
  requested_by_id  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  decided_at       timestamptz,
  decided_by_type  text CHECK (decided_by_type IN ('user', 'api_key', 'system')),
  decided_by_id    text,
  note             text CHECK (note IS NULL OR length(note) <= 1000),
  grant_id         text,
  CHECK (expires_at > created_at)
);
-- One open request per agent and capability.
CREATE UNIQUE INDEX capability_requests_open ON capability_requests (organization_id, agent_id, capability_id) WHERE status = 'pending';
CREATE INDEX capability_requests_org ON capability_requests (organization_id, status, id DESC);
CREATE INDEX capability_requests_agent ON capability_requests (organization_id, agent_id, id DESC);

CREATE TABLE capability_grants (
  id               text PRIMARY KEY CHECK (id ~ '^grt_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  capability_id    text NOT NULL REFERENCES capabilities (id) ON DELETE RESTRICT,
  resource_pattern text CHECK (resource_pattern IS NULL OR length(resource_pattern) BETWEEN 1 AND 500),
  expires_at       timestamptz,
  granted_by_type  text NOT NULL CHECK (granted_by_type IN ('user', 'api_key', 'system')),
  granted_by_id    text,
  request_id       text REFERENCES capability_requests (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz,
  revoked_by_type  text CHECK (revoked_by_type IN ('user', 'api_key', 'system')),
  revoked_by_id    text,
  CHECK (expires_at IS NULL OR expires_at > created_at)
);
-- The decision path reads an agent's unrevoked grants of one capability.
CREATE INDEX capability_grants_agent ON capability_grants (organization_id, agent_id, capability_id) WHERE revoked_at IS NULL;
CREATE INDEX capability_grants_capability ON capability_grants (organization_id, capability_id) WHERE revoked_at IS NULL;
ALTER TABLE capability_requests ADD CONSTRAINT capability_requests_grant FOREIGN KEY (grant_id) REFERENCES capability_grants (id) ON DELETE SET NULL;

-- A policy is its latest version; policy_versions keeps every version, as written.
CREATE TABLE policies (
  id               text PRIMARY KEY CHECK (id ~ '^pol_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  version          integer NOT NULL CHECK (version >= 1),
  name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  description      text CHECK (description IS NULL OR length(description) <= 1000),
  type             text NOT NULL CHECK (type IN ('capability_required', 'resource_deny', 'time_window', 'rate_limit',
                                                 'require_approval', 'data_volume', 'min_trust')),
  mode             text NOT NULL CHECK (mode IN ('enforce', 'monitor')),
  enabled          boolean NOT NULL,
  scope            jsonb NOT NULL CHECK (jsonb_typeof(scope) = 'object'),
  config           jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  deleted_at       timestamptz
);
CREATE UNIQUE INDEX policies_org_name ON policies (organization_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX policies_org ON policies (organization_id, id);

CREATE TABLE policy_versions (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  policy_id        text NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
  version          integer NOT NULL CHECK (version >= 1),
  name             text NOT NULL,
  description      text,
  type             text NOT NULL,
  mode             text NOT NULL,
  enabled          boolean NOT NULL,
  scope            jsonb NOT NULL,
  config           jsonb NOT NULL,
  deleted          boolean NOT NULL DEFAULT false,
  changed_by_type  text NOT NULL CHECK (changed_by_type IN ('user', 'api_key', 'system')),
  changed_by_id    text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (policy_id, version)
);

-- Every decision, as taken. Range-partitioned by month on created_at, which is the time in the
-- decision's id (so a lookup by id reaches one partition). A pending decision is later resolved
-- (approved, rejected, expired, or withdrawn by its agent) and its outcome reported; nothing else about it changes.
CREATE TABLE verification_events (
  id               text NOT NULL CHECK (id ~ '^dec_[0-9a-z]{26}$'),
  organization_id  text NOT NULL,
  agent_id         text NOT NULL,
  key_id           text,
  authenticated_by text NOT NULL CHECK (authenticated_by IN ('signature', 'token')),
  action           text NOT NULL CHECK (length(action) <= 100),
  resource         text CHECK (resource IS NULL OR length(resource) <= 1000),
  context          jsonb NOT NULL DEFAULT '{}',
  declared_risk    text CHECK (declared_risk IN ('low', 'medium', 'high', 'critical')),
  risk             text CHECK (risk IN ('low', 'medium', 'high', 'critical')),
  initial_decision text NOT NULL CHECK (initial_decision IN ('allow', 'deny', 'pending')),
  decision         text NOT NULL CHECK (decision IN ('allow', 'deny', 'pending')),
  status           text NOT NULL CHECK (status IN ('allowed', 'denied', 'pending', 'approved', 'rejected', 'expired', 'withdrawn')),
  reasons          jsonb NOT NULL,
  flagged          boolean NOT NULL DEFAULT false,
  grant_id         text,
  policy_revision  bigint NOT NULL,
  trust_score      numeric(5, 2),
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz,
  resolved_at      timestamptz,
  resolved_by_type text CHECK (resolved_by_type IN ('user', 'api_key', 'agent', 'system')),
  resolved_by_id   text,
  note             text CHECK (note IS NULL OR length(note) <= 1000),
  result_status    text CHECK (result_status IN ('success', 'failure', 'error')),
  result_duration_ms double precision,
  result_detail    text CHECK (result_detail IS NULL OR length(result_detail) <= 1000),
  result_reported_at timestamptz,
  PRIMARY KEY (id, created_at),
  CHECK ((decision = 'pending') = (status = 'pending')),
  CHECK (initial_decision <> 'pending' OR expires_at IS NOT NULL)
) PARTITION BY RANGE (created_at);
CREATE INDEX verification_events_org ON verification_events (organization_id, created_at DESC, id DESC);
CREATE INDEX verification_events_agent ON verification_events (organization_id, agent_id, created_at DESC, id DESC);
CREATE INDEX verification_events_pending ON verification_events (organization_id, expires_at) WHERE status = 'pending';
INSERT INTO aim_partitioned_tables (table_name) VALUES ('verification_events');

CREATE TABLE violations (
  id               text PRIMARY KEY CHECK (id ~ '^vio_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  decision_id      text NOT NULL,
  rule             text NOT NULL,
  policy_id        text,
  policy_version   integer,
  action           text NOT NULL,
  resource         text,
  severity         text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX violations_org ON violations (organization_id, id DESC);
CREATE INDEX violations_agent ON violations (organization_id, agent_id, id DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['capabilities', 'capability_requests', 'capability_grants', 'policies', 'policy_versions',
                           'verification_events', 'violations'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON capabilities TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON capability_requests TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON capability_grants TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON policies TO {{app_role}};
-- Versions and violations are appended, never changed.
GRANT SELECT, INSERT ON policy_versions TO {{app_role}};
GRANT SELECT, INSERT ON violations TO {{app_role}};
-- A decision is inserted once; afterwards only its resolution and its reported result are written.
GRANT SELECT, INSERT ON verification_events TO {{app_role}};
GRANT UPDATE (decision, status, resolved_at, resolved_by_type, resolved_by_id, note,
              result_status, result_duration_ms, result_detail, result_reported_at) ON verification_events TO {{app_role}};

-- The expiry job runs in the system scope, which sees no tenant rows: this names the organizations
-- that have open requests or pending decisions past their expiry, and nothing else about them.
CREATE FUNCTION aim_organizations_with_expired_pending()
  RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT r.organization_id FROM capability_requests r WHERE r.status = 'pending' AND r.expires_at <= now()
    UNION
    SELECT v.organization_id FROM verification_events v WHERE v.status = 'pending' AND v.expires_at <= now()
  $$;
REVOKE ALL ON FUNCTION aim_organizations_with_expired_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_organizations_with_expired_pending() TO {{app_role}};
