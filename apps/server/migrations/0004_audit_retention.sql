-- 0004 retention of the audit log. An organization may keep its events for a limited number of days.
-- Expired events are removed only by aim_apply_audit_retention, which runs as the dedicated role
-- aim_audit_maintenance (the only role the append-only trigger lets delete), after recording the
-- last removed event as the chain's new anchor: the chain stays verifiable from its new start.

ALTER TABLE organizations ADD COLUMN audit_retention_days integer
  CHECK (audit_retention_days IS NULL OR audit_retention_days BETWEEN 30 AND 36500);

DO $$ BEGIN
  CREATE ROLE aim_audit_maintenance NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
GRANT USAGE ON SCHEMA public TO aim_audit_maintenance;
GRANT SELECT, DELETE ON audit_events TO aim_audit_maintenance;
GRANT SELECT ON organizations, audit_chain_heads TO aim_audit_maintenance;

-- Where each organization's chain starts after retention: the last removed event.
CREATE TABLE audit_chain_anchors (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  seq              bigint NOT NULL CHECK (seq >= 1),
  hash             bytea NOT NULL CHECK (length(hash) = 32),
  removed_before   timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, seq)
);
ALTER TABLE audit_chain_anchors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain_anchors
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT ON audit_chain_anchors TO {{app_role}};
GRANT SELECT, INSERT ON audit_chain_anchors TO aim_audit_maintenance;
CREATE POLICY maintenance ON audit_chain_anchors TO aim_audit_maintenance USING (true) WITH CHECK (true);
CREATE POLICY maintenance ON audit_events TO aim_audit_maintenance USING (true);
CREATE POLICY maintenance ON organizations TO aim_audit_maintenance USING (true);
CREATE POLICY maintenance ON audit_chain_heads TO aim_audit_maintenance USING (true);
CREATE TRIGGER audit_chain_anchors_append_only BEFORE UPDATE OR DELETE ON audit_chain_anchors
  FOR EACH ROW EXECUTE FUNCTION aim_refuse_audit_change();

-- The delete guard lets the maintenance role through, and nobody else.
CREATE OR REPLACE FUNCTION aim_refuse_audit_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'audit_chain_anchors' AND current_user = 'aim_audit_maintenance' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- Remove an organization's chained events older than its retention period, and at most through
-- `through_seq` (what the caller exported first, when it exports). Returns the new anchor (no row
-- when nothing expired). Unchained events are never removed.
CREATE FUNCTION aim_apply_audit_retention(org text, through_seq bigint DEFAULT NULL)
  RETURNS TABLE (anchor_seq bigint, anchor_hash bytea, removed bigint, removed_before timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  days integer;
  cutoff timestamptz;
  last_seq bigint;
  last_hash bytea;
  n bigint;
BEGIN
  -- Only for the organization the caller acts for.
  IF org IS DISTINCT FROM aim_current_org_id() THEN
    RAISE EXCEPTION 'retention can only be applied in the organization''s own scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT o.audit_retention_days INTO days FROM organizations o WHERE o.id = org;
  IF days IS NULL THEN RETURN; END IF;
  cutoff := now() - make_interval(days => days);
  SELECT e.seq, e.hash INTO last_seq, last_hash FROM audit_events e
   WHERE e.organization_id = org AND e.seq IS NOT NULL AND e.occurred_at < cutoff
     AND (through_seq IS NULL OR e.seq <= through_seq)
   ORDER BY e.seq DESC LIMIT 1;
  IF last_seq IS NULL THEN RETURN; END IF;
  INSERT INTO audit_chain_anchors (organization_id, seq, hash, removed_before) VALUES (org, last_seq, last_hash, cutoff)
    ON CONFLICT DO NOTHING;
  DELETE FROM audit_events e WHERE e.organization_id = org AND e.seq <= last_seq;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN QUERY SELECT last_seq, last_hash, n, cutoff;
END $$;
-- The migrator must be able to act as the role to hand it the function, and gives that up at once:
-- nobody keeps a way to delete audit events other than this function.
DO $$
DECLARE was_member boolean := pg_has_role(current_user, 'aim_audit_maintenance', 'MEMBER');
BEGIN
  IF NOT was_member THEN EXECUTE format('GRANT aim_audit_maintenance TO %I', current_user); END IF;
  ALTER FUNCTION aim_apply_audit_retention(text, bigint) OWNER TO aim_audit_maintenance;
  IF NOT was_member THEN EXECUTE format('REVOKE aim_audit_maintenance FROM %I', current_user); END IF;
END $$;
REVOKE ALL ON FUNCTION aim_apply_audit_retention(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_apply_audit_retention(text, bigint) TO {{app_role}};

-- How far retention would remove now (the last expired chained event), for exporting it first.
CREATE FUNCTION aim_audit_retention_through(org text) RETURNS bigint
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT max(e.seq) FROM audit_events e JOIN organizations o ON o.id = e.organization_id
        WHERE e.organization_id = org AND org = aim_current_org_id() AND e.seq IS NOT NULL AND o.audit_retention_days IS NOT NULL
          AND e.occurred_at < now() - make_interval(days => o.audit_retention_days) $$;
REVOKE ALL ON FUNCTION aim_audit_retention_through(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_audit_retention_through(text) TO {{app_role}};

-- Organizations with a retention period (the retention job; ids only).
CREATE FUNCTION aim_audit_retention_due() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT o.id FROM organizations o WHERE o.audit_retention_days IS NOT NULL $$;
REVOKE ALL ON FUNCTION aim_audit_retention_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_audit_retention_due() TO {{app_role}};
