-- 0025 access reviews (docs/access-reviews.md): campaigns that ask people to certify, revoke or change
-- the organization's access (agents, high-risk grants, API keys). Items are a snapshot of what the
-- reviewer sees, computed when the campaign is created; each decision and its effect commit with the
-- audit event. Completed campaigns are evidence for the compliance review controls (modules/compliance
-- reads these tables: the columns named in the session's brief keep their names and meanings).

CREATE TABLE access_reviews (
  id               text PRIMARY KEY CHECK (id ~ '^arv_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description      text CHECK (description IS NULL OR length(description) <= 2000),
  -- {"kind": "all_agents" | "owner_agents" | "high_risk_grants" | "api_keys", "ownerUserId"?: "usr_…"}
  scope            jsonb NOT NULL CHECK (scope->>'kind' IN ('all_agents', 'owner_agents', 'high_risk_grants', 'api_keys')),
  status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
  deadline         timestamptz NOT NULL,
  -- At the deadline, items nobody decided are revoked (true) or left pending and reported as not reviewed.
  auto_revoke      boolean NOT NULL,
  created_by       text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  -- Who ended it (a person, or null for the deadline job) and how: 'manual' | 'deadline'.
  completed_by     text,
  completed_how    text CHECK (completed_how IS NULL OR completed_how IN ('manual', 'deadline')),
  cancelled_at     timestamptz,
  CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX access_reviews_org ON access_reviews (organization_id, id DESC);
CREATE INDEX access_reviews_open ON access_reviews (deadline) WHERE status = 'open';
ALTER TABLE access_reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON access_reviews
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON access_reviews TO {{app_role}};

CREATE TABLE access_review_items (
  id               text PRIMARY KEY CHECK (id ~ '^ari_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  review_id        text NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
  subject_type     text NOT NULL CHECK (subject_type IN ('agent', 'grant', 'api_key')),
  subject_id       text NOT NULL,
  -- What the reviewer sees, as it was when the campaign was created (names, owner, risk, last use, grants).
  snapshot         jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
  -- The person whose own access the item is (an API key's creator); null for agents and grants.
  subject_person_id text,
  reviewer_user_id text NOT NULL,
  -- Why this reviewer: 'owner' (the agent's owner), 'manager' (a manager or admin: the owner is gone, or
  -- the item is someone's own access), 'creator' (the campaign's creator: nobody else could), 'self'
  -- (the organization has nobody but the subject).
  reviewer_reason  text NOT NULL CHECK (reviewer_reason IN ('owner', 'manager', 'creator', 'self')),
  decision         text NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'certified', 'revoked', 'changed')),
  note             text CHECK (note IS NULL OR length(note) <= 2000),
  -- The change asked for or made ({"expiresAt": "…"} for a grant or key; {"requested": true} otherwise).
  change           jsonb,
  -- Whether the decision's effect was made on the subject (false: it was already gone, or a change was only recorded).
  effect           text CHECK (effect IS NULL OR effect IN ('applied', 'already', 'recorded')),
  decided_by       text,
  decided_at       timestamptz,
  -- True when the deadline revoked the item (auto_revoke); decided_by is then null.
  decided_automatically boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (review_id, subject_type, subject_id),
  CHECK ((decision = 'pending') = (decided_at IS NULL))
);
CREATE INDEX access_review_items_review ON access_review_items (organization_id, review_id, id);
CREATE INDEX access_review_items_inbox ON access_review_items (organization_id, reviewer_user_id) WHERE decision = 'pending';
ALTER TABLE access_review_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON access_review_items
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON access_review_items TO {{app_role}};

-- Reminders sent: at most one per reviewer, campaign and UTC day.
CREATE TABLE access_review_reminders (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  review_id        text NOT NULL REFERENCES access_reviews (id) ON DELETE CASCADE,
  reviewer_user_id text NOT NULL,
  day              date NOT NULL,
  items            integer NOT NULL CHECK (items > 0),
  sent_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (review_id, reviewer_user_id, day)
);
ALTER TABLE access_review_reminders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON access_review_reminders
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT ON access_review_reminders TO {{app_role}};

-- The hourly job's look across organizations (ids only): those with an open campaign.
CREATE FUNCTION aim_access_review_organizations() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT r.organization_id FROM access_reviews r WHERE r.status = 'open' $$;
REVOKE ALL ON FUNCTION aim_access_review_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_access_review_organizations() TO {{app_role}};
