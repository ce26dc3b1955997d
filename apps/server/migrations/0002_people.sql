-- 0002 people: users, memberships with roles, API keys, sessions with rotating refresh tokens,
-- passkeys, invitations, claimed domains, per-organization OIDC providers, signing keys.
--
-- Scopes (see ARCHITECTURE.md, "Data and tenancy"):
--   * tenant tables (memberships, api_keys, invitations, organization_domains, oidc_providers)
--     are visible only inside their organization's scope;
--   * user-level tables (sessions, refresh tokens, passkeys) and signing keys are visible only in
--     the system scope (no organization set), which the server uses for sign-in flows;
--   * users are visible in the system scope, and inside an organization's scope only when they
--     are members of it;
--   * the few reads that must cross organizations go through narrow SECURITY DEFINER functions.
-- Personal data (email, name) is stored encrypted; email_hash is a keyed hash for lookups.

CREATE FUNCTION aim_is_system_scope() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT aim_current_org_id() IS NULL $$;

CREATE TABLE users (
  id               text PRIMARY KEY CHECK (id ~ '^usr_[0-9a-z]{26}$'),
  email_hash       bytea NOT NULL UNIQUE CHECK (length(email_hash) = 32),
  email_encrypted  text NOT NULL,
  name_encrypted   text NOT NULL,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
-- A person may belong to several organizations, so no single organization may change their row:
-- creating and changing people happens in the system scope only. Reading needs the system scope or
-- a membership in the current organization.
CREATE POLICY tenant_read ON users FOR SELECT
  USING (aim_is_system_scope() OR EXISTS (
    SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.organization_id = aim_current_org_id()));
CREATE POLICY system_write ON users FOR INSERT WITH CHECK (aim_is_system_scope());
CREATE POLICY system_update ON users FOR UPDATE USING (aim_is_system_scope()) WITH CHECK (aim_is_system_scope());
GRANT SELECT, INSERT, UPDATE ON users TO {{app_role}};

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO {{app_role}};

CREATE TABLE api_keys (
  id               text PRIMARY KEY CHECK (id ~ '^key_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  prefix           text NOT NULL CHECK (length(prefix) BETWEEN 8 AND 32),
  key_hash         bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  role             text NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
  -- The person who created the key: a key never acts with more than its creator's current role.
  created_by       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at       timestamptz,
  last_used_at     timestamptz,
  use_count        bigint NOT NULL DEFAULT 0,
  revoked_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org ON api_keys (organization_id, created_at DESC);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON api_keys TO {{app_role}};

CREATE TABLE invitations (
  id               text PRIMARY KEY CHECK (id ~ '^inv_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email_hash       bytea NOT NULL CHECK (length(email_hash) = 32),
  email_encrypted  text NOT NULL,
  role             text NOT NULL CHECK (role IN ('admin', 'manager', 'member', 'viewer')),
  token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  invited_by       text REFERENCES users (id) ON DELETE SET NULL,
  expires_at       timestamptz NOT NULL,
  accepted_at      timestamptz,
  accepted_by      text REFERENCES users (id) ON DELETE SET NULL,
  revoked_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_org ON invitations (organization_id, created_at DESC);
CREATE INDEX invitations_email ON invitations (email_hash);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON invitations TO {{app_role}};

CREATE TABLE organization_domains (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  domain           text NOT NULL CHECK (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
  default_role     text NOT NULL DEFAULT 'viewer' CHECK (default_role IN ('manager', 'member', 'viewer')),
  verification_token text NOT NULL,
  verified_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, domain)
);
-- A domain can be verified by one organization only.
CREATE UNIQUE INDEX organization_domains_verified ON organization_domains (domain) WHERE verified_at IS NOT NULL;
ALTER TABLE organization_domains ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organization_domains
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON organization_domains TO {{app_role}};

CREATE TABLE oidc_providers (
  id               text PRIMARY KEY CHECK (id ~ '^idp_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  preset           text NOT NULL CHECK (preset IN ('google', 'microsoft', 'okta', 'oidc')),
  display_name     text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
  issuer           text NOT NULL,
  client_id        text NOT NULL,
  client_secret_encrypted text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_providers_org ON oidc_providers (organization_id);
ALTER TABLE oidc_providers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oidc_providers
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON oidc_providers TO {{app_role}};

-- Sessions: one per sign-in. The refresh tokens of a session form its family: each refresh
-- consumes one and issues the next; presenting a consumed one revokes the session.
CREATE TABLE sessions (
  id               text PRIMARY KEY CHECK (id ~ '^ses_[0-9a-z]{26}$'),
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  active_organization_id text REFERENCES organizations (id) ON DELETE SET NULL,
  auth_method      text NOT NULL CHECK (auth_method IN ('oidc', 'passkey', 'setup')),
  user_agent       text CHECK (user_agent IS NULL OR length(user_agent) <= 512),
  client_ip        inet,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz,
  revoked_reason   text CHECK (revoked_reason IS NULL OR revoked_reason IN
                     ('sign_out', 'revoked_by_user', 'revoked_by_admin', 'refresh_token_reuse', 'membership_removed', 'user_disabled'))
);
CREATE INDEX sessions_user ON sessions (user_id, created_at DESC);

CREATE TABLE session_refresh_tokens (
  token_hash       bytea PRIMARY KEY CHECK (length(token_hash) = 32),
  session_id       text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  issued_at        timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  consumed_at      timestamptz
);
CREATE INDEX session_refresh_tokens_session ON session_refresh_tokens (session_id);

-- Links between people and the accounts they sign in with at identity providers.
CREATE TABLE user_identities (
  issuer           text NOT NULL,
  subject          text NOT NULL,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider_id      text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_used_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

CREATE TABLE passkeys (
  id               text PRIMARY KEY CHECK (id ~ '^pky_[0-9a-z]{26}$'),
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id    text NOT NULL UNIQUE,
  public_key       bytea NOT NULL,
  counter          bigint NOT NULL DEFAULT 0,
  transports       text[] NOT NULL DEFAULT '{}',
  device_type      text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up        boolean NOT NULL,
  name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_used_at     timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- Keys that sign session access tokens (and, later, agent tokens). Private keys are stored
-- encrypted with the configured encryption key. Retired keys stay until their tokens expire.
CREATE TABLE signing_keys (
  kid              text PRIMARY KEY,
  purpose          text NOT NULL CHECK (purpose IN ('session', 'agent_token', 'audit_checkpoint')),
  algorithm        text NOT NULL CHECK (algorithm = 'EdDSA'),
  public_jwk       jsonb NOT NULL,
  private_key_encrypted text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  activated_at     timestamptz NOT NULL DEFAULT now(),
  retired_at       timestamptz,
  expires_at       timestamptz
);
CREATE INDEX signing_keys_purpose ON signing_keys (purpose, activated_at DESC);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sessions', 'session_refresh_tokens', 'user_identities', 'passkeys', 'signing_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY system_scope_only ON %I USING (aim_is_system_scope()) WITH CHECK (aim_is_system_scope())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON sessions TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON session_refresh_tokens TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON passkeys TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON user_identities TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON signing_keys TO {{app_role}};

-- Narrow reads across organizations, for flows that run before an organization is chosen.
-- Each returns only what its caller needs, for the exact key it is given.

CREATE FUNCTION aim_organization_exists() RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM organizations) $$;

CREATE FUNCTION aim_api_key_by_hash(hash bytea)
  RETURNS TABLE (id text, organization_id text, role text, created_by text, expires_at timestamptz, revoked_at timestamptz, key_hash bytea)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.id, k.organization_id, k.role, k.created_by, k.expires_at, k.revoked_at, k.key_hash FROM api_keys k WHERE k.key_hash = hash $$;

CREATE FUNCTION aim_user_organizations(uid text)
  RETURNS TABLE (organization_id text, name text, role text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT o.id, o.name, m.role FROM memberships m JOIN organizations o ON o.id = m.organization_id
        WHERE m.user_id = uid ORDER BY o.name, o.id $$;

CREATE FUNCTION aim_invitation_by_token(hash bytea)
  RETURNS TABLE (id text, organization_id text, email_hash bytea, role text, expires_at timestamptz, accepted_at timestamptz, revoked_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT i.id, i.organization_id, i.email_hash, i.role, i.expires_at, i.accepted_at, i.revoked_at
        FROM invitations i WHERE i.token_hash = hash $$;

CREATE FUNCTION aim_pending_invitations_for(hash bytea)
  RETURNS TABLE (id text, organization_id text, role text, expires_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT i.id, i.organization_id, i.role, i.expires_at FROM invitations i
        WHERE i.email_hash = hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now() $$;

CREATE FUNCTION aim_organization_claiming_domain(d text)
  RETURNS TABLE (organization_id text, default_role text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT od.organization_id, od.default_role FROM organization_domains od
        WHERE od.domain = d AND od.verified_at IS NOT NULL $$;

CREATE FUNCTION aim_oidc_provider(pid text)
  RETURNS TABLE (id text, organization_id text, preset text, display_name text, issuer text, client_id text, client_secret_encrypted text, enabled boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT p.id, p.organization_id, p.preset, p.display_name, p.issuer, p.client_id, p.client_secret_encrypted, p.enabled
        FROM oidc_providers p WHERE p.id = pid $$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['aim_organization_exists()', 'aim_api_key_by_hash(bytea)', 'aim_user_organizations(text)',
    'aim_invitation_by_token(bytea)', 'aim_pending_invitations_for(bytea)', 'aim_organization_claiming_domain(text)',
    'aim_oidc_provider(text)'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, '{{app_role}}');
  END LOOP;
END $$;

-- Sign-in flows run in the system scope (sessions are not an organization's) but must still
-- record their events in the organization they concern. The system scope may therefore append
-- audit events for any organization; reading them still needs the organization's scope.
CREATE POLICY system_append ON audit_events FOR INSERT WITH CHECK (aim_is_system_scope());
