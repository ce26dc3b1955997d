-- 0022 checkpoints anchored outside AIM (docs/audit.md §7–§8): each checkpoint's RFC 3161 time-stamp
-- (the token, and the state of getting it: an authority that is down is retried with back-off) and
-- when the witness (an append-only record outside the database) accepted it; and the checkpoint keys
-- the witness has been given. A checkpoint's signed content stays append-only: only these anchoring
-- columns may change, a token or a witness time only from nothing to something.

ALTER TABLE audit_checkpoints
  ADD COLUMN tsa_token               bytea NULL,
  ADD COLUMN tsa_status              text NOT NULL DEFAULT 'none' CHECK (tsa_status IN ('none', 'pending', 'stamped', 'failed')),
  ADD COLUMN tsa_attempts            integer NOT NULL DEFAULT 0,
  ADD COLUMN tsa_next_attempt_at     timestamptz NULL,
  ADD COLUMN tsa_error               text NULL,
  ADD COLUMN witnessed_at            timestamptz NULL,
  ADD COLUMN witness_attempts        integer NOT NULL DEFAULT 0,
  ADD COLUMN witness_next_attempt_at timestamptz NULL,
  ADD COLUMN witness_error           text NULL,
  ADD CONSTRAINT audit_checkpoints_stamped_has_token CHECK ((tsa_status = 'stamped') = (tsa_token IS NOT NULL));

CREATE INDEX audit_checkpoints_tsa_due ON audit_checkpoints (tsa_next_attempt_at) WHERE tsa_status IN ('pending', 'failed');
CREATE INDEX audit_checkpoints_witness_due ON audit_checkpoints (witness_next_attempt_at) WHERE witnessed_at IS NULL AND witness_next_attempt_at IS NOT NULL;

CREATE FUNCTION aim_audit_checkpoint_only_anchoring() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.organization_id IS DISTINCT FROM OLD.organization_id OR NEW.seq IS DISTINCT FROM OLD.seq
     OR NEW.hash IS DISTINCT FROM OLD.hash OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
     OR NEW.kid IS DISTINCT FROM OLD.kid OR NEW.signature IS DISTINCT FROM OLD.signature
     OR (OLD.tsa_token IS NOT NULL AND NEW.tsa_token IS DISTINCT FROM OLD.tsa_token)
     OR (OLD.witnessed_at IS NOT NULL AND NEW.witnessed_at IS DISTINCT FROM OLD.witnessed_at) THEN
    RAISE EXCEPTION 'audit checkpoints are append-only: only their time-stamp and witness state may be filled in'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints;
CREATE TRIGGER audit_checkpoints_no_delete
  BEFORE DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION aim_refuse_audit_change();
CREATE TRIGGER audit_checkpoints_only_anchoring
  BEFORE UPDATE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION aim_audit_checkpoint_only_anchoring();
GRANT UPDATE (tsa_token, tsa_status, tsa_attempts, tsa_next_attempt_at, tsa_error,
              witnessed_at, witness_attempts, witness_next_attempt_at, witness_error)
  ON audit_checkpoints TO {{app_role}};

-- The checkpoint keys the witness holds (published before the first checkpoint they sign).
CREATE TABLE audit_witnessed_keys (
  kid          text PRIMARY KEY,
  fingerprint  text NOT NULL,
  witnessed_at timestamptz NOT NULL DEFAULT now()
);
-- Read and written outside any organization's scope only (the anchoring).
ALTER TABLE audit_witnessed_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_scope_only ON audit_witnessed_keys USING (aim_is_system_scope()) WITH CHECK (aim_is_system_scope());
GRANT SELECT, INSERT ON audit_witnessed_keys TO {{app_role}};

-- Checkpoints of every organization whose time-stamp or witness publication is due (the anchoring
-- worker; ids only, at most `max`).
CREATE FUNCTION aim_audit_anchoring_due(max integer) RETURNS TABLE (organization_id text, seq bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT c.organization_id, c.seq FROM audit_checkpoints c
         WHERE (c.tsa_status IN ('pending', 'failed') AND c.tsa_next_attempt_at <= now())
            OR (c.witnessed_at IS NULL AND c.witness_next_attempt_at <= now())
         ORDER BY c.signed_at LIMIT max $$;
REVOKE ALL ON FUNCTION aim_audit_anchoring_due(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_audit_anchoring_due(integer) TO {{app_role}};
