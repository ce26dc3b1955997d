-- 0006: the audiences, besides AIM itself, that an organization's agents may ask tokens for. One AIM
-- serves many organizations: without this list, any agent could obtain a token naming another
-- organization's downstream service. Empty (the default) means tokens for AIM only.
ALTER TABLE organizations
  ADD COLUMN agent_token_audiences text[] NOT NULL DEFAULT '{}'
  CHECK (cardinality(agent_token_audiences) <= 50);
