-- THROW-AWAY (deleted at merge; the real file of this number comes from another session-11 helper):
-- the shapes the shared brief fixes, so the compliance checks can be tested before they land.
CREATE TABLE IF NOT EXISTS access_reviews (
  id text PRIMARY KEY, organization_id text NOT NULL, name text NOT NULL, scope jsonb NOT NULL, status text NOT NULL,
  deadline timestamptz NOT NULL, auto_revoke boolean NOT NULL DEFAULT false, created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz NULL
);
CREATE TABLE IF NOT EXISTS access_review_items (
  id text PRIMARY KEY, organization_id text NOT NULL, review_id text NOT NULL, subject_type text NOT NULL, subject_id text NOT NULL,
  reviewer_user_id text NOT NULL, decision text NOT NULL DEFAULT 'pending', note text NULL, decided_by text NULL, decided_at timestamptz NULL
);
ALTER TABLE access_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_review_items ENABLE ROW LEVEL SECURITY;
DO $$ BEGIN
  CREATE POLICY tenant_isolation ON access_reviews USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
  CREATE POLICY tenant_isolation ON access_review_items USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT SELECT ON access_reviews, access_review_items TO {{app_role}};
