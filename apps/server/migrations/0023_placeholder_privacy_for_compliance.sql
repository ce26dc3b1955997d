-- THROW-AWAY (deleted at merge; the real file of this number comes from another session-11 helper):
-- the shapes the shared brief fixes, so the compliance checks can be tested before they land.
CREATE TABLE IF NOT EXISTS person_keys (
  id text PRIMARY KEY, user_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), destroyed_at timestamptz NULL
);
CREATE TABLE IF NOT EXISTS privacy_requests (
  id text PRIMARY KEY, organization_id text NOT NULL, user_id text NOT NULL, kind text NOT NULL,
  requested_by text, created_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz NULL
);
ALTER TABLE privacy_requests ENABLE ROW LEVEL SECURITY;
DO $$ BEGIN
  CREATE POLICY tenant_isolation ON privacy_requests USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT SELECT ON privacy_requests TO {{app_role}};
