-- 0008 trust: the evidence trust scoring reads (request outcomes per day, heartbeats, security
-- reviews, ratings, attestations, incidents), the agent profile field it checks (data classification),
-- and every computed score, range-partitioned by month. docs/trust-scoring.md defines how the
-- evidence becomes a score.

-- Required metadata for compliance: how sensitive the data the agent handles is.
ALTER TABLE agents ADD COLUMN data_classification text
  CHECK (data_classification IS NULL OR data_classification IN ('public', 'internal', 'confidential', 'restricted'));
-- The latest score's confidence (the share of the factor weight it rests on), time and method.
ALTER TABLE agents ADD COLUMN trust_confidence numeric(4, 3) CHECK (trust_confidence IS NULL OR trust_confidence BETWEEN 0 AND 1);
ALTER TABLE agents ADD COLUMN trust_computed_at timestamptz;

-- Signed requests and token uses per agent and UTC day: those that verified, and those made with one
-- of the agent's keys that did not (bad signature, replayed nonce, wrong digest, expired key).
-- Written in batches by the request path's counters.
CREATE TABLE agent_activity_days (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  day              date NOT NULL,
  verified         bigint NOT NULL DEFAULT 0 CHECK (verified >= 0),
  failed           bigint NOT NULL DEFAULT 0 CHECK (failed >= 0),
  PRIMARY KEY (agent_id, day)
);
CREATE INDEX agent_activity_days_org ON agent_activity_days (organization_id, day);

-- Heartbeats per agent and UTC hour: bit n of `minutes` is set when a heartbeat arrived in minute n.
CREATE TABLE agent_uptime_hours (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  hour             timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
  minutes          bigint NOT NULL CHECK (minutes >= 0 AND minutes < (1::bigint << 60)),
  heartbeats       integer NOT NULL DEFAULT 1 CHECK (heartbeats >= 0),
  PRIMARY KEY (agent_id, hour)
);
CREATE INDEX agent_uptime_hours_org ON agent_uptime_hours (organization_id, hour);

CREATE TABLE security_reviews (
  id               text PRIMARY KEY CHECK (id ~ '^srv_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  reviewer_type    text NOT NULL CHECK (reviewer_type IN ('user', 'api_key')),
  reviewer_id      text NOT NULL,
  reviewed_at      timestamptz NOT NULL,
  summary          text CHECK (summary IS NULL OR length(summary) <= 2000),
  -- [{ "severity": "low"|"medium"|"high"|"critical", "title": "…" }]
  findings         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(findings) = 'array' AND jsonb_array_length(findings) <= 100),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_reviews_agent ON security_reviews (organization_id, agent_id, reviewed_at DESC, id DESC);

-- One rating per member per agent, editable.
CREATE TABLE agent_ratings (
  id               text PRIMARY KEY CHECK (id ~ '^rat_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  rating           smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment          text CHECK (comment IS NULL OR length(comment) <= 2000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, user_id)
);
CREATE INDEX agent_ratings_agent ON agent_ratings (organization_id, agent_id, id DESC);

-- What another agent of the organization says of this one, one current statement per pair.
CREATE TABLE agent_attestations (
  id               text PRIMARY KEY CHECK (id ~ '^att_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  attester_id      text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  verdict          text NOT NULL CHECK (verdict IN ('trusted', 'distrusted')),
  statement        text CHECK (statement IS NULL OR length(statement) <= 2000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, attester_id),
  CHECK (agent_id <> attester_id)
);
CREATE INDEX agent_attestations_agent ON agent_attestations (organization_id, agent_id, id DESC);

-- Security incidents recorded by people (violations are recorded by the decision engine).
CREATE TABLE agent_incidents (
  id               text PRIMARY KEY CHECK (id ~ '^inc_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  severity         text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  description      text CHECK (description IS NULL OR length(description) <= 4000),
  occurred_at      timestamptz NOT NULL,
  resolved_at      timestamptz,
  reported_by_type text NOT NULL CHECK (reported_by_type IN ('user', 'api_key')),
  reported_by_id   text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_incidents_agent ON agent_incidents (organization_id, agent_id, occurred_at DESC);

-- Every computed score, with the evidence it was computed from (replaying it gives the same score)
-- and the algorithm version. Range-partitioned by month on computed_at, the time in the id.
CREATE TABLE trust_scores (
  id               text NOT NULL CHECK (id ~ '^tsc_[0-9a-z]{26}$'),
  organization_id  text NOT NULL,
  agent_id         text NOT NULL,
  score            numeric(5, 2) CHECK (score IS NULL OR score BETWEEN 0 AND 100),
  tier             text NOT NULL CHECK (tier IN ('unscored', 'untrusted', 'low', 'medium', 'high', 'verified')),
  confidence       numeric(4, 3) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
  factors          jsonb NOT NULL,
  evidence         jsonb NOT NULL,
  algorithm_version text NOT NULL,
  trigger          text NOT NULL CHECK (trigger IN ('registration', 'event', 'schedule', 'manual', 'backfill')),
  computed_at      timestamptz NOT NULL,
  PRIMARY KEY (id, computed_at)
) PARTITION BY RANGE (computed_at);
CREATE INDEX trust_scores_agent ON trust_scores (organization_id, agent_id, computed_at DESC, id DESC);
CREATE INDEX trust_scores_org ON trust_scores (organization_id, computed_at);
INSERT INTO aim_partitioned_tables (table_name) VALUES ('trust_scores');

-- Evidence lookups per agent: every grant of an agent (the index of 0007 covers unrevoked ones only),
-- and the violations of a decision (compliance leaves out decisions with one).
CREATE INDEX capability_grants_agent_all ON capability_grants (organization_id, agent_id);
CREATE INDEX violations_decision ON violations (organization_id, decision_id);

-- Decisions record the confidence of the score they used, beside the score itself.
ALTER TABLE verification_events ADD COLUMN trust_confidence numeric(4, 3);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agent_activity_days', 'agent_uptime_hours', 'security_reviews', 'agent_ratings',
                           'agent_attestations', 'agent_incidents', 'trust_scores'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_activity_days TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_uptime_hours TO {{app_role}};
-- Reviews and scores are appended, never changed.
GRANT SELECT, INSERT ON security_reviews TO {{app_role}};
GRANT SELECT, INSERT ON trust_scores TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_ratings TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_attestations TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON agent_incidents TO {{app_role}};

-- The scheduled pass runs in the system scope, which sees no tenant rows: this names the
-- organizations that have agents to score, and nothing else about them.
CREATE FUNCTION aim_organizations_with_agents()
  RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT a.organization_id FROM agents a WHERE a.status <> 'revoked' $$;
REVOKE ALL ON FUNCTION aim_organizations_with_agents() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_organizations_with_agents() TO {{app_role}};
