-- 0005 agents: agent identities with owner-held Ed25519 keys, their status history, and
-- enrollment tokens for agents that register themselves. AIM stores public keys only.

CREATE TABLE agents (
  id               text PRIMARY KEY CHECK (id ~ '^agt_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  description      text CHECK (description IS NULL OR length(description) <= 2000),
  purpose          text CHECK (purpose IS NULL OR length(purpose) <= 500),
  owner_id         text REFERENCES users (id) ON DELETE SET NULL,
  tags             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
  -- Filled by trust scoring; 'unscored' (and a null score) until an agent has been scored.
  trust_score      numeric(5, 2) CHECK (trust_score IS NULL OR trust_score BETWEEN 0 AND 100),
  trust_tier       text NOT NULL DEFAULT 'unscored'
                   CHECK (trust_tier IN ('unscored', 'untrusted', 'low', 'medium', 'high', 'verified')),
  requested_capabilities text[] NOT NULL DEFAULT '{}',
  enrollment_token_id text,
  created_by_type  text NOT NULL CHECK (created_by_type IN ('user', 'api_key', 'agent')),
  created_by_id    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz
);
-- Names identify agents to people: unique among an organization's agents that are not revoked.
CREATE UNIQUE INDEX agents_org_name ON agents (organization_id, lower(name)) WHERE status <> 'revoked';
CREATE INDEX agents_org_id ON agents (organization_id, id DESC);
CREATE INDEX agents_org_status ON agents (organization_id, status, id DESC);
CREATE INDEX agents_org_owner ON agents (organization_id, owner_id, id DESC);
CREATE INDEX agents_org_tier ON agents (organization_id, trust_tier, id DESC);
CREATE INDEX agents_tags ON agents USING gin (tags);

-- An agent's keys. The key id is the key's RFC 7638 thumbprint, unique across all organizations:
-- a key belongs to one agent, ever (a concurrent second registration of the same key fails here).
CREATE TABLE agent_keys (
  id               text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{43}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  public_key       bytea NOT NULL UNIQUE CHECK (length(public_key) = 32),
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- Set when a rotation replaces the key: it is accepted until then.
  expires_at       timestamptz,
  replaced_by      text REFERENCES agent_keys (id),
  revoked_at       timestamptz,
  revoked_reason   text CHECK (revoked_reason IS NULL OR length(revoked_reason) <= 500),
  last_used_at     timestamptz,
  use_count        bigint NOT NULL DEFAULT 0
);
CREATE INDEX agent_keys_agent ON agent_keys (organization_id, agent_id, created_at DESC);

CREATE TABLE agent_status_changes (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  from_status      text CHECK (from_status IN ('active', 'suspended', 'revoked')),
  to_status        text NOT NULL CHECK (to_status IN ('active', 'suspended', 'revoked')),
  reason           text CHECK (reason IS NULL OR length(reason) <= 500),
  actor_type       text NOT NULL CHECK (actor_type IN ('user', 'agent', 'api_key', 'system')),
  actor_id         text,
  changed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_status_changes_agent ON agent_status_changes (organization_id, agent_id, id DESC);

CREATE TABLE enrollment_tokens (
  id               text PRIMARY KEY CHECK (id ~ '^enr_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  name             text CHECK (name IS NULL OR length(btrim(name)) BETWEEN 1 AND 100),
  capabilities     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(capabilities) <= 50),
  owner_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_by_type  text NOT NULL CHECK (created_by_type IN ('user', 'api_key')),
  created_by_id    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  used_at          timestamptz,
  agent_id         text REFERENCES agents (id) ON DELETE SET NULL,
  revoked_at       timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX enrollment_tokens_org ON enrollment_tokens (organization_id, created_at DESC);
ALTER TABLE agents ADD CONSTRAINT agents_enrollment_token FOREIGN KEY (enrollment_token_id) REFERENCES enrollment_tokens (id) ON DELETE SET NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agents', 'agent_keys', 'agent_status_changes', 'enrollment_tokens'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id())', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON agents TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON agent_keys TO {{app_role}};
-- History is appended, never changed.
GRANT SELECT, INSERT ON agent_status_changes TO {{app_role}};
GRANT SELECT, INSERT, UPDATE ON enrollment_tokens TO {{app_role}};

-- The request path knows only the key id a signature names; this finds its agent and organization.
CREATE FUNCTION aim_agent_key(kid text)
  RETURNS TABLE (key_id text, organization_id text, agent_id text, public_key bytea, expires_at timestamptz, revoked_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.id, k.organization_id, k.agent_id, k.public_key, k.expires_at, k.revoked_at FROM agent_keys k WHERE k.id = kid $$;

-- A token's bearer names no organization; this finds the token's, for the exact hash given.
CREATE FUNCTION aim_enrollment_token_by_hash(hash bytea)
  RETURNS TABLE (id text, organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT t.id, t.organization_id FROM enrollment_tokens t WHERE t.token_hash = hash $$;

-- An agent token names its agent; the status check on the request path reads it from here.
CREATE FUNCTION aim_agent_state(aid text)
  RETURNS TABLE (organization_id text, status text, trust_tier text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT a.organization_id, a.status, a.trust_tier FROM agents a WHERE a.id = aid $$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['aim_agent_key(text)', 'aim_enrollment_token_by_hash(bytea)', 'aim_agent_state(text)'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, '{{app_role}}');
  END LOOP;
END $$;
