-- 0003 signed checkpoints of the audit chain: {organization, seq, hash, time} signed with an
-- Ed25519 checkpoint key (signing_keys, purpose audit_checkpoint). A checkpoint lets anyone holding
-- the public key detect later that the chain was rewritten or its tail cut before that point.

CREATE TABLE audit_checkpoints (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  seq              bigint NOT NULL CHECK (seq >= 1),
  hash             bytea NOT NULL CHECK (length(hash) = 32),
  signed_at        timestamptz NOT NULL,
  kid              text NOT NULL,
  signature        bytea NOT NULL CHECK (length(signature) = 64),
  PRIMARY KEY (organization_id, seq)
);

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT ON audit_checkpoints TO {{app_role}};

CREATE TRIGGER audit_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION aim_refuse_audit_change();
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION aim_refuse_audit_change();

-- Public keys of every checkpoint key, retired ones included, are published for verifiers.
CREATE FUNCTION aim_audit_checkpoint_keys()
  RETURNS TABLE (kid text, public_jwk jsonb, activated_at timestamptz, retired_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT k.kid, k.public_jwk, k.activated_at, k.retired_at FROM signing_keys k
        WHERE k.purpose = 'audit_checkpoint' ORDER BY k.activated_at, k.kid $$;
REVOKE ALL ON FUNCTION aim_audit_checkpoint_keys() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_audit_checkpoint_keys() TO {{app_role}};

-- Organizations whose chain has grown since its last checkpoint by more than the checkpoint events
-- themselves (the periodic checkpoint job; ids only): a quiet organization is not signed again and again.
CREATE FUNCTION aim_audit_checkpoints_due() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT h.organization_id FROM audit_chain_heads h
        WHERE EXISTS (
          SELECT 1 FROM audit_events e
           WHERE e.organization_id = h.organization_id AND e.seq IS NOT NULL AND e.action <> 'audit.checkpoint'
             AND e.seq > coalesce((SELECT max(c.seq) FROM audit_checkpoints c WHERE c.organization_id = h.organization_id), 0)) $$;
REVOKE ALL ON FUNCTION aim_audit_checkpoints_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_audit_checkpoints_due() TO {{app_role}};
