-- 0019 alerts: what the detectors found (docs/monitoring.md), with a lifecycle people work through,
-- their notes, what behavioural detectors would have raised during an agent's learning period, and
-- each organization's monitoring settings. The detectors' own state (counters, baselines) is 0020.

-- One document per organization, merged over the defaults of the contract (packages/contracts
-- src/monitoring.ts) when read, so a parameter added later gets its default. No row: the defaults.
CREATE TABLE monitoring_settings (
  organization_id  text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  settings         jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
  updated_by_type  text NOT NULL CHECK (updated_by_type IN ('user', 'api_key')),
  updated_by_id    text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE monitoring_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON monitoring_settings
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON monitoring_settings TO {{app_role}};

CREATE TABLE alerts (
  id               text PRIMARY KEY CHECK (id ~ '^alr_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  type             text NOT NULL CHECK (type ~ '^[a-z_]{1,40}$'),
  severity         text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  subject_type     text NOT NULL CHECK (subject_type IN ('agent', 'mcp_server', 'user', 'organization')),
  subject_id       text NOT NULL CHECK (length(subject_id) <= 40),
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'snoozed', 'resolved', 'false_positive')),
  snoozed_until    timestamptz,
  assignee_id      text REFERENCES users (id) ON DELETE SET NULL,
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  summary          text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
  -- Findings with the same key count on the alert while it is active (open, acknowledged, snoozed);
  -- after it is resolved or marked a false positive, the next finding raises a new alert.
  dedup_key        text NOT NULL CHECK (length(dedup_key) BETWEEN 1 AND 500),
  occurrences      integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
  first_seen_at    timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  -- The latest occurrence's evidence (the contract's AlertEvidence): numbers, window, method, the
  -- baseline as it was, and the decisions and audit events behind it.
  evidence         jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'object'),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  acknowledged_by_type text CHECK (acknowledged_by_type IN ('user', 'api_key', 'system')),
  acknowledged_by_id   text,
  resolved_at      timestamptz,
  resolved_by_type text CHECK (resolved_by_type IN ('user', 'api_key', 'system')),
  resolved_by_id   text,
  CHECK ((status = 'snoozed') = (snoozed_until IS NOT NULL)),
  CHECK ((status IN ('resolved', 'false_positive')) = (resolved_at IS NOT NULL)),
  CHECK (last_seen_at >= first_seen_at)
);
CREATE UNIQUE INDEX alerts_active_dedup ON alerts (organization_id, dedup_key) WHERE status IN ('open', 'acknowledged', 'snoozed');
CREATE INDEX alerts_org ON alerts (organization_id, id DESC);
CREATE INDEX alerts_org_status ON alerts (organization_id, status, id DESC);
CREATE INDEX alerts_subject ON alerts (organization_id, subject_type, subject_id, id DESC);
CREATE INDEX alerts_snoozed ON alerts (organization_id, snoozed_until) WHERE status = 'snoozed';
ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alerts
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON alerts TO {{app_role}};

CREATE TABLE alert_notes (
  id               text PRIMARY KEY CHECK (id ~ '^aln_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  alert_id         text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  author_type      text NOT NULL CHECK (author_type IN ('user', 'api_key', 'system')),
  author_id        text,
  body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_notes_alert ON alert_notes (organization_id, alert_id, id);
ALTER TABLE alert_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alert_notes
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
-- Notes are appended, never changed.
GRANT SELECT, INSERT ON alert_notes TO {{app_role}};

-- What a behavioural detector would have raised while its agent was learning: one row per key,
-- counted like an alert, never notified and never evidence against the agent.
CREATE TABLE alert_learning_findings (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  dedup_key        text NOT NULL CHECK (length(dedup_key) BETWEEN 1 AND 500),
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  type             text NOT NULL CHECK (type ~ '^[a-z_]{1,40}$'),
  severity         text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  summary          text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
  occurrences      integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
  first_seen_at    timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  evidence         jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'object'),
  PRIMARY KEY (organization_id, dedup_key)
);
CREATE INDEX alert_learning_findings_recent ON alert_learning_findings (organization_id, last_seen_at DESC, dedup_key);
CREATE INDEX alert_learning_findings_agent ON alert_learning_findings (organization_id, agent_id, last_seen_at DESC);
ALTER TABLE alert_learning_findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON alert_learning_findings
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON alert_learning_findings TO {{app_role}};

-- Snoozed alerts whose time has come are opened again by the monitoring sweep, which runs in the
-- system scope: this names the organizations that have some, and nothing else about them.
CREATE FUNCTION aim_alerts_snooze_ended_organizations()
  RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT a.organization_id FROM alerts a WHERE a.status = 'snoozed' AND a.snoozed_until <= now() $$;
REVOKE ALL ON FUNCTION aim_alerts_snooze_ended_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_alerts_snooze_ended_organizations() TO {{app_role}};
