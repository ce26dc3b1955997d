-- 0023 personal data (docs/privacy.md): a data key per person, personal fields encrypted under it
-- (including the personal members of audit events, so that the chain hashes ciphertext), and the
-- record of export and erasure requests. Erasing a person destroys their key: every value sealed
-- under it, in the immutable audit log too, becomes unreadable while the chain still verifies.

-- One data key per person: 32 random bytes, wrapped by the deployment keyring (keyring.ts, AAD
-- `person_keys.wrapped_key:<id>`). Destroyed by erasure: the wrapped key is gone, the row stays so
-- that a reader can tell "erased" from "unknown key".
CREATE TABLE person_keys (
  id               text PRIMARY KEY CHECK (id ~ '^pdk_[0-9a-z]{26}$'),
  user_id          text NOT NULL UNIQUE REFERENCES users (id) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED,
  wrapped_key      text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  destroyed_at     timestamptz,
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);
-- A person's key seals what every organization they belong to records about them, so it is not one
-- organization's row (like users). The app may create a key and destroy it, never restore one. The
-- table is read and changed directly in the system scope only; in an organization's scope, keys are
-- read through the two functions below (a wrapped key opens only with the deployment keyring, and only
-- values the organization can read are ever opened with it).
ALTER TABLE person_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_read ON person_keys FOR SELECT USING (aim_is_system_scope());
CREATE POLICY any_scope_create ON person_keys FOR INSERT WITH CHECK (true);
CREATE POLICY system_update ON person_keys FOR UPDATE USING (aim_is_system_scope()) WITH CHECK (aim_is_system_scope());
GRANT SELECT, INSERT ON person_keys TO {{app_role}};
GRANT UPDATE (wrapped_key, destroyed_at) ON person_keys TO {{app_role}};
CREATE FUNCTION aim_person_key_of(uid text)
  RETURNS TABLE (id text, wrapped_key text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.id, k.wrapped_key FROM person_keys k WHERE k.user_id = uid $$;
CREATE FUNCTION aim_person_keys(ids text[])
  RETURNS TABLE (id text, wrapped_key text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.id, k.wrapped_key FROM person_keys k WHERE k.id = ANY(ids) $$;
CREATE FUNCTION aim_person_key_stays_destroyed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.destroyed_at IS NOT NULL THEN
    RAISE EXCEPTION 'person key % was destroyed and cannot be restored', OLD.id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER person_keys_stay_destroyed BEFORE UPDATE ON person_keys
  FOR EACH ROW EXECUTE FUNCTION aim_person_key_stays_destroyed();

-- Exports and erasures, per organization that asked.
CREATE TABLE privacy_requests (
  id               text PRIMARY KEY CHECK (id ~ '^prq_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  kind             text NOT NULL CHECK (kind IN ('export', 'erasure')),
  requested_by     text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz
);
CREATE INDEX privacy_requests_org ON privacy_requests (organization_id, created_at DESC, id DESC);
ALTER TABLE privacy_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON privacy_requests
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE (completed_at) ON privacy_requests TO {{app_role}};

-- An erased person keeps their row (ids elsewhere name it) but nothing personal: no lookup hash, no
-- email, no name.
ALTER TABLE users ALTER COLUMN email_hash DROP NOT NULL;
ALTER TABLE users ALTER COLUMN email_encrypted DROP NOT NULL;
ALTER TABLE users ALTER COLUMN name_encrypted DROP NOT NULL;
ALTER TABLE users ADD COLUMN erased_at timestamptz;
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled', 'erased'));
ALTER TABLE users ADD CONSTRAINT users_erased_empty CHECK (
  (status = 'erased') = (erased_at IS NOT NULL)
  AND (status <> 'erased' OR (email_hash IS NULL AND email_encrypted IS NULL AND name_encrypted IS NULL))
  AND (status = 'erased' OR (email_hash IS NOT NULL AND email_encrypted IS NOT NULL AND name_encrypted IS NOT NULL)));

-- Client addresses and user agents of people are sealed under their key (`pd1.…`, docs/audit.md §1):
-- the columns become text. host() keeps every existing address exactly as the chain hashed it.
ALTER TABLE sessions ALTER COLUMN client_ip TYPE text USING host(client_ip);
ALTER TABLE sessions DROP CONSTRAINT sessions_user_agent_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_user_agent_check CHECK (user_agent IS NULL OR length(user_agent) <= 1024);
ALTER TABLE sessions ADD CONSTRAINT sessions_client_ip_check CHECK (client_ip IS NULL OR length(client_ip) <= 256);
ALTER TABLE audit_events ALTER COLUMN client_ip TYPE text USING host(client_ip);
ALTER TABLE audit_events DROP CONSTRAINT audit_events_user_agent_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_user_agent_check CHECK (user_agent IS NULL OR length(user_agent) <= 1024);
ALTER TABLE audit_events ADD CONSTRAINT audit_events_client_ip_check CHECK (client_ip IS NULL OR length(client_ip) <= 256);

-- Erasure deletes what cannot be sealed: the person's sessions (and their refresh tokens), sign-in
-- links, notifications and the invitations sent to their address.
GRANT DELETE ON sessions, user_identities, notifications, invitations TO {{app_role}};
