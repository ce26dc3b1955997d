-- Compliance reports (docs/compliance.md): reports as signed and stored, the organization's settings
-- for them, and how far the audit chain has been verified (so a year's report re-walks only what
-- was added since the last verification).

CREATE TABLE compliance_reports (
  id               text PRIMARY KEY CHECK (id ~ '^rpt_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  framework        text NOT NULL CHECK (framework ~ '^[a-z0-9_]{1,40}$'),
  period_from      timestamptz NOT NULL,
  period_to        timestamptz NOT NULL,
  status           text NOT NULL CHECK (status IN ('pass', 'fail', 'unknown')),
  controls_pass    integer NOT NULL,
  controls_fail    integer NOT NULL,
  controls_unknown integer NOT NULL,
  -- 'request': asked for through the API; 'schedule': the monthly job (at most one per framework and month).
  origin           text NOT NULL CHECK (origin IN ('request', 'schedule')),
  generated_by_type text NOT NULL CHECK (generated_by_type IN ('user', 'api_key', 'system')),
  generated_by_id  text,
  -- The signed document exactly as served by ?format=json (RFC 8785 canonical JSON, UTF-8).
  document         text NOT NULL,
  kid              text NOT NULL,
  generated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (period_from < period_to)
);
CREATE INDEX compliance_reports_org ON compliance_reports (organization_id, generated_at DESC, id DESC);
CREATE UNIQUE INDEX compliance_reports_scheduled ON compliance_reports (organization_id, framework, period_from, period_to)
  WHERE origin = 'schedule';
ALTER TABLE compliance_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_reports
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT ON compliance_reports TO {{app_role}};

CREATE TABLE compliance_settings (
  organization_id  text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  -- Frameworks whose report for the previous month the daily job generates (empty: none).
  monthly_frameworks text[] NOT NULL DEFAULT '{}' CHECK (cardinality(monthly_frameworks) <= 10),
  access_review_days integer NOT NULL DEFAULT 90 CHECK (access_review_days BETWEEN 1 AND 366),
  agent_key_max_age_days integer NOT NULL DEFAULT 90 CHECK (agent_key_max_age_days BETWEEN 1 AND 3650),
  alert_ack_minutes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(alert_ack_minutes) = 'object'),
  updated_by_type  text NOT NULL CHECK (updated_by_type IN ('user', 'api_key')),
  updated_by_id    text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE compliance_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_settings
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON compliance_settings TO {{app_role}};

-- The verified prefix of an organization's chain: events up to through_seq were re-walked (hashes
-- recomputed from their content) and chained to through_hash. A later check confirms the stored
-- hash is still the one at through_seq and walks only what follows.
CREATE TABLE compliance_chain_verifications (
  organization_id  text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  from_seq         bigint NOT NULL CHECK (from_seq >= 1),
  through_seq      bigint NOT NULL CHECK (through_seq >= from_seq - 1),
  through_hash     bytea NOT NULL CHECK (length(through_hash) = 32),
  checked          bigint NOT NULL,
  verified_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE compliance_chain_verifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_chain_verifications
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON compliance_chain_verifications TO {{app_role}};

-- Organizations whose settings ask for monthly reports (the daily job; ids and frameworks only).
CREATE FUNCTION aim_compliance_monthly_due() RETURNS TABLE (organization_id text, frameworks text[])
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT s.organization_id, s.monthly_frameworks FROM compliance_settings s WHERE cardinality(s.monthly_frameworks) > 0 $$;
REVOKE ALL ON FUNCTION aim_compliance_monthly_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_compliance_monthly_due() TO {{app_role}};

-- How the current organization's admins sign in: their passkeys and provider identities, and the
-- sessions they started in [p_from, p_to) by method. Those tables are user-level (system scope only);
-- this reads them for the admins of the organization the transaction is scoped to, and no other.
CREATE FUNCTION aim_compliance_admin_sign_in(p_from timestamptz, p_to timestamptz)
  RETURNS TABLE (user_id text, passkeys bigint, identities bigint, sessions_passkey bigint, sessions_oidc bigint, sessions_other bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT m.user_id,
           (SELECT count(*) FROM passkeys p WHERE p.user_id = m.user_id),
           (SELECT count(*) FROM user_identities i WHERE i.user_id = m.user_id),
           (SELECT count(*) FROM sessions s WHERE s.user_id = m.user_id AND s.created_at >= p_from AND s.created_at < p_to AND s.auth_method = 'passkey'),
           (SELECT count(*) FROM sessions s WHERE s.user_id = m.user_id AND s.created_at >= p_from AND s.created_at < p_to AND s.auth_method = 'oidc'),
           (SELECT count(*) FROM sessions s WHERE s.user_id = m.user_id AND s.created_at >= p_from AND s.created_at < p_to AND s.auth_method NOT IN ('passkey', 'oidc'))
      FROM memberships m
     WHERE m.organization_id = aim_current_org_id() AND m.role = 'admin'
     ORDER BY m.user_id $$;
REVOKE ALL ON FUNCTION aim_compliance_admin_sign_in(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_compliance_admin_sign_in(timestamptz, timestamptz) TO {{app_role}};

-- The deployment's signing keys by purpose and age (no key material): key rotation evidence.
CREATE FUNCTION aim_compliance_signing_keys()
  RETURNS TABLE (kid text, purpose text, activated_at timestamptz, retired_at timestamptz, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT kid, purpose, activated_at, retired_at, expires_at FROM signing_keys ORDER BY purpose, activated_at DESC $$;
REVOKE ALL ON FUNCTION aim_compliance_signing_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_compliance_signing_keys() TO {{app_role}};

-- Members of the current organization and their per-person keys (privacy, migration 0023): how
-- many members there are, which have no key that is not destroyed, and whether their email and name
-- are sealed under it (`pd1.…`; `v1.…` is the deployment key alone, before aim.privacy-reseal ran).
-- plpgsql, so the table is looked up when called.
CREATE FUNCTION aim_compliance_member_keys()
  RETURNS TABLE (user_id text, live_keys bigint, destroyed_keys bigint, sealed boolean)
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ BEGIN
    RETURN QUERY
      SELECT m.user_id,
             (SELECT count(*) FROM person_keys k WHERE k.user_id = m.user_id AND k.destroyed_at IS NULL),
             (SELECT count(*) FROM person_keys k WHERE k.user_id = m.user_id AND k.destroyed_at IS NOT NULL),
             (SELECT coalesce(u.email_encrypted LIKE 'pd1.%' AND u.name_encrypted LIKE 'pd1.%', false) FROM users u WHERE u.id = m.user_id)
        FROM memberships m WHERE m.organization_id = aim_current_org_id() ORDER BY m.user_id;
  END $$;
REVOKE ALL ON FUNCTION aim_compliance_member_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_compliance_member_keys() TO {{app_role}};
