-- 0020 detection state: what the detection engine (modules/monitoring/detection/engine-*.ts) keeps so
-- that it never rescans history per event: hour counters per agent, the values each agent has used,
-- each agent's stored baseline, refused requests naming an agent's keys, and the client address of
-- every decision. docs/monitoring.md ("how detection works") describes the flow.

-- The client address of the request that asked (as the server resolved it, TRUST_PROXY included);
-- null for decisions taken before this column existed.
ALTER TABLE verification_events ADD COLUMN client_address inet;

-- Each agent's decisions per UTC hour, counted as the ingestion reads them from the outbox: what the
-- hour detectors and the baselines read. Kept BASELINE_HISTORY_DAYS and a little more (the baselines
-- job deletes older rows).
CREATE TABLE agent_activity_hours (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  hour             timestamptz NOT NULL CHECK (extract(epoch FROM hour)::bigint % 3600 = 0),
  requests         bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  -- Denied decisions and decisions that recorded a violation or were flagged by a monitor-mode policy.
  denials          bigint NOT NULL DEFAULT 0 CHECK (denials >= 0),
  -- Sums of the decisions' context.records and context.bytes (numbers only).
  records          numeric NOT NULL DEFAULT 0 CHECK (records >= 0),
  bytes            numeric NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  PRIMARY KEY (agent_id, hour)
);
CREATE INDEX agent_activity_hours_org ON agent_activity_hours (organization_id, hour);

-- Every action, resource prefix and network prefix an agent has used, with the decision that used it
-- first: an insert that finds the value already there is not a first use.
CREATE TABLE agent_seen_values (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  kind             text NOT NULL CHECK (kind IN ('action', 'resource', 'network')),
  value            text NOT NULL CHECK (length(value) <= 1000),
  first_seen_at    timestamptz NOT NULL,
  first_decision_id text NOT NULL,
  PRIMARY KEY (agent_id, kind, value)
);
CREATE INDEX agent_seen_values_org ON agent_seen_values (organization_id, agent_id);

-- Each agent's baseline (baseline.ts computes it; the engine stores it whole and copies it into the
-- evidence of every alert it produces). Recomputed at most daily by aim.monitoring-baselines.
CREATE TABLE agent_baselines (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
  baseline         jsonb NOT NULL CHECK (jsonb_typeof(baseline) = 'object'),
  computed_at      timestamptz NOT NULL
);
CREATE INDEX agent_baselines_org ON agent_baselines (organization_id, computed_at);

-- Refused requests that named one of the agent's keys (bad signature, replay, retired key, wrong
-- digest, bad token), per key, UTC minute and reason, with a few of the addresses they came from.
-- Written every few seconds by the request path's recorder; kept two days (the key_misuse window is
-- at most one).
CREATE TABLE agent_auth_failures (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  key_id           text NOT NULL,
  minute           timestamptz NOT NULL CHECK (extract(epoch FROM minute)::bigint % 60 = 0),
  reason           text NOT NULL CHECK (reason ~ '^[a-z_]{1,40}$'),
  count            bigint NOT NULL CHECK (count > 0),
  addresses        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(addresses) <= 5),
  PRIMARY KEY (agent_id, minute, key_id, reason)
);
CREATE INDEX agent_auth_failures_org ON agent_auth_failures (organization_id, minute);

-- Which closed hour the sweep last evaluated, per organization: the claim that makes one instance
-- evaluate each hour once.
CREATE TABLE monitoring_sweeps (
  organization_id  text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  closed_hour      timestamptz NOT NULL
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agent_activity_hours', 'agent_seen_values', 'agent_baselines', 'agent_auth_failures', 'monitoring_sweeps'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_activity_hours TO {{app_role}};
GRANT SELECT, INSERT, DELETE ON agent_seen_values TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_baselines TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_auth_failures TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON monitoring_sweeps TO {{app_role}};

-- The monitoring jobs list their organizations with aim_organizations_with_agents() (0008): those
-- with an agent not revoked, the ones with anything to watch.
