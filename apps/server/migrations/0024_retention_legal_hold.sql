-- 0024 retention of decisions, and the legal hold (docs/retention.md).
--
-- Decisions (verification_events, and the violations of each) are kept per organization for
-- decision_retention_days (NULL: the deployment's DECISION_RETENTION_DAYS). Whole months past every
-- organization's retention are dropped by partition; an organization with a shorter retention than the
-- longest loses its older rows in batches. A pending decision is never removed.
--
-- A legal hold suspends every deletion of the organization's data: every retention path asks
-- aim_legal_hold_held (or aim_legal_holds) under a shared advisory lock, and placing a hold takes the
-- same lock exclusively (aim_legal_hold_barrier), so a retention transaction either finished before the
-- hold was placed or sees it.

ALTER TABLE organizations
  ADD COLUMN decision_retention_days integer
    CHECK (decision_retention_days IS NULL OR decision_retention_days BETWEEN 180 AND 36500),
  ADD COLUMN legal_hold_at timestamptz,
  ADD COLUMN legal_hold_reason text CHECK (legal_hold_reason IS NULL OR length(btrim(legal_hold_reason)) BETWEEN 1 AND 1000),
  ADD COLUMN legal_hold_by_type text CHECK (legal_hold_by_type IS NULL OR legal_hold_by_type IN ('user', 'api_key', 'system')),
  ADD COLUMN legal_hold_by_id text,
  ADD CONSTRAINT organizations_legal_hold_whole CHECK ((legal_hold_at IS NULL) = (legal_hold_reason IS NULL));

-- The one lock every deletion path shares and a hold's placement takes alone (its key is fixed).
CREATE FUNCTION aim_legal_hold_barrier() RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT pg_advisory_xact_lock(7024000024) $$;
REVOKE ALL ON FUNCTION aim_legal_hold_barrier() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_legal_hold_barrier() TO {{app_role}};

-- Whether the organization is on legal hold, asked by a deletion path in its own transaction (volatile:
-- the look-up takes its snapshot after the lock is granted).
CREATE FUNCTION aim_legal_hold_held(org text) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF aim_current_org_id() IS NOT NULL AND org IS DISTINCT FROM aim_current_org_id() THEN
    RAISE EXCEPTION 'a legal hold can only be looked up in the organization''s own scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(7024000024);
  RETURN EXISTS (SELECT 1 FROM organizations o WHERE o.id = org AND o.legal_hold_at IS NOT NULL);
END $$;
REVOKE ALL ON FUNCTION aim_legal_hold_held(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_legal_hold_held(text) TO {{app_role}}, aim_audit_maintenance;

-- Every organization on hold, for the partition drops that span organizations (definer functions only).
CREATE FUNCTION aim_legal_holds() RETURNS text[]
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7024000024);
  RETURN coalesce((SELECT array_agg(o.id) FROM organizations o WHERE o.legal_hold_at IS NOT NULL), '{}');
END $$;
REVOKE ALL ON FUNCTION aim_legal_holds() FROM PUBLIC;

-- A month partition kept for a hold: the rows of held organizations stay, every other organization's
-- rows in it are removed (they are past the deployment's retention); the partition is dropped on the
-- first run after the last hold on its rows is released. Returns whether the partition must stay.
CREATE FUNCTION aim_keep_partition_for_holds(part text, held text[]) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE kept boolean;
BEGIN
  IF cardinality(held) = 0 THEN RETURN false; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I WHERE organization_id = ANY($1))', part) INTO kept USING held;
  IF kept THEN
    EXECUTE format('DELETE FROM public.%I WHERE organization_id <> ALL($1)', part) USING held;
  END IF;
  RETURN kept;
END $$;
REVOKE ALL ON FUNCTION aim_keep_partition_for_holds(text, text[]) FROM PUBLIC;

-- Trust score history (0009), now hold-aware.
CREATE OR REPLACE FUNCTION aim_drop_trust_score_months(keep_months integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part record;
  upper_bound timestamptz;
  cutoff timestamptz;
  held text[];
  dropped integer := 0;
BEGIN
  IF keep_months IS NULL OR keep_months < 1 OR keep_months > 1200 THEN
    RAISE EXCEPTION 'keep_months must be between 1 and 1200';
  END IF;
  held := aim_legal_holds();
  cutoff := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => keep_months)) AT TIME ZONE 'UTC';
  FOR part IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.trust_scores'::regclass
  LOOP
    upper_bound := substring(part.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
    CONTINUE WHEN upper_bound IS NULL OR upper_bound > cutoff;
    CONTINUE WHEN aim_keep_partition_for_holds(part.relname, held);
    EXECUTE format('DROP TABLE public.%I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

-- Webhook events, deliveries and attempts (0015), now hold-aware.
CREATE OR REPLACE FUNCTION aim_drop_webhook_months(keep_days integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part record;
  upper_bound timestamptz;
  cutoff timestamptz;
  held text[];
  dropped integer := 0;
BEGIN
  IF keep_days IS NULL OR keep_days < 1 OR keep_days > 36500 THEN
    RAISE EXCEPTION 'keep_days must be between 1 and 36500';
  END IF;
  held := aim_legal_holds();
  cutoff := now() - make_interval(days => keep_days);
  FOR part IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent IN ('public.webhook_events'::regclass, 'public.webhook_deliveries'::regclass, 'public.webhook_attempts'::regclass)
  LOOP
    upper_bound := substring(part.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
    CONTINUE WHEN upper_bound IS NULL OR upper_bound > cutoff;
    CONTINUE WHEN aim_keep_partition_for_holds(part.relname, held);
    EXECUTE format('DROP TABLE public.%I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

-- Audit retention (0004), now hold-aware. The function belongs to aim_audit_maintenance: the migrator
-- acts as that role for the replacement only, as 0004 did.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'aim_audit_maintenance', 'MEMBER') THEN
    EXECUTE format('GRANT aim_audit_maintenance TO %I', current_user);
    PERFORM set_config('aim.m0024_granted', 'yes', false);
  END IF;
END $$;
CREATE OR REPLACE FUNCTION aim_apply_audit_retention(org text, through_seq bigint DEFAULT NULL)
  RETURNS TABLE (anchor_seq bigint, anchor_hash bytea, removed bigint, removed_before timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  days integer;
  cutoff timestamptz;
  last_seq bigint;
  last_hash bytea;
  n bigint;
BEGIN
  IF org IS DISTINCT FROM aim_current_org_id() THEN
    RAISE EXCEPTION 'retention can only be applied in the organization''s own scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A legal hold suspends the removal: nothing is removed, no anchor is written.
  IF aim_legal_hold_held(org) THEN RETURN; END IF;
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
DO $$
BEGIN
  IF current_setting('aim.m0024_granted', true) = 'yes' THEN
    EXECUTE format('REVOKE aim_audit_maintenance FROM %I', current_user);
    PERFORM set_config('aim.m0024_granted', '', false);
  END IF;
END $$;

CREATE OR REPLACE FUNCTION aim_audit_retention_through(org text) RETURNS bigint
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT max(e.seq) FROM audit_events e JOIN organizations o ON o.id = e.organization_id
        WHERE e.organization_id = org AND org = aim_current_org_id() AND e.seq IS NOT NULL AND o.audit_retention_days IS NOT NULL
          AND o.legal_hold_at IS NULL
          AND e.occurred_at < now() - make_interval(days => o.audit_retention_days) $$;

CREATE OR REPLACE FUNCTION aim_audit_retention_due() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT o.id FROM organizations o WHERE o.audit_retention_days IS NOT NULL AND o.legal_hold_at IS NULL $$;

-- Decisions. The longest retention of any organization (the deployment's default for those without
-- their own): months ending before it are past everyone's retention.
CREATE FUNCTION aim_longest_decision_retention(default_days integer) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT greatest(default_days, coalesce(max(o.decision_retention_days), default_days)) FROM organizations o $$;
REVOKE ALL ON FUNCTION aim_longest_decision_retention(integer) FROM PUBLIC;

-- Drop the months of decisions past every organization's retention, unless a pending decision or a
-- held organization's decision is in them (those months stay; the rows of everyone else go row by row).
-- The violations of the dropped decisions go with them. One row per organization and month removed,
-- for the caller's audit records in the same transaction.
CREATE FUNCTION aim_drop_decision_months(default_days integer)
  RETURNS TABLE (organization_id text, decisions bigint, violations bigint, removed_before timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part record;
  upper_bound timestamptz;
  cutoff timestamptz;
  held text[];
  busy boolean;
BEGIN
  IF default_days IS NULL OR default_days < 180 OR default_days > 36500 THEN
    RAISE EXCEPTION 'default_days must be between 180 and 36500';
  END IF;
  held := aim_legal_holds();
  cutoff := now() - make_interval(days => aim_longest_decision_retention(default_days));
  FOR part IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.verification_events'::regclass
  LOOP
    upper_bound := substring(part.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
    CONTINUE WHEN upper_bound IS NULL OR upper_bound > cutoff;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I WHERE status = ''pending'' OR organization_id = ANY($1))', part.relname)
      INTO busy USING held;
    CONTINUE WHEN busy;
    RETURN QUERY EXECUTE format(
      'WITH d AS (SELECT p.organization_id, count(*) AS n FROM public.%I p GROUP BY p.organization_id),
            v AS (DELETE FROM violations x USING public.%I p
                   WHERE x.organization_id = p.organization_id AND x.decision_id = p.id RETURNING x.organization_id),
            vc AS (SELECT v.organization_id, count(*) AS n FROM v GROUP BY v.organization_id)
       SELECT d.organization_id, d.n, coalesce(vc.n, 0), $1 FROM d LEFT JOIN vc ON vc.organization_id = d.organization_id',
      part.relname, part.relname) USING upper_bound;
    EXECUTE format('DROP TABLE public.%I', part.relname);
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION aim_drop_decision_months(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_drop_decision_months(integer) TO {{app_role}};

-- One batch of an organization's decisions older than its retention (pending ones never), with their
-- violations, in the organization's own scope. An organization at the longest retention loses rows only
-- in months its partition drop could not remove (kept for a hold or a pending decision): its other rows
-- go with their month. No row when nothing was removed, or when the organization is on hold.
CREATE FUNCTION aim_apply_decision_retention(org text, default_days integer, batch integer)
  RETURNS TABLE (decisions bigint, violations bigint, removed_before timestamptz)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  days integer;
  cutoff timestamptz;
  ids text[];
  n_violations bigint;
BEGIN
  IF org IS DISTINCT FROM aim_current_org_id() THEN
    RAISE EXCEPTION 'retention can only be applied in the organization''s own scope' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF default_days IS NULL OR default_days < 180 OR default_days > 36500 THEN
    RAISE EXCEPTION 'default_days must be between 180 and 36500';
  END IF;
  IF batch IS NULL OR batch < 1 OR batch > 100000 THEN RAISE EXCEPTION 'batch must be between 1 and 100000'; END IF;
  IF aim_legal_hold_held(org) THEN RETURN; END IF;
  SELECT coalesce(o.decision_retention_days, default_days) INTO days FROM organizations o WHERE o.id = org;
  IF days IS NULL THEN RETURN; END IF;
  cutoff := now() - make_interval(days => days);
  IF days >= aim_longest_decision_retention(default_days) THEN
    cutoff := date_trunc('month', cutoff AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  END IF;
  WITH gone AS (
    DELETE FROM verification_events v
     WHERE v.organization_id = org AND (v.id, v.created_at) IN (
       SELECT e.id, e.created_at FROM verification_events e
        WHERE e.organization_id = org AND e.created_at < cutoff AND e.status <> 'pending'
        ORDER BY e.created_at LIMIT batch)
    RETURNING v.id)
  SELECT array_agg(gone.id) INTO ids FROM gone;
  IF ids IS NULL THEN RETURN; END IF;
  DELETE FROM violations x WHERE x.organization_id = org AND x.decision_id = ANY(ids);
  GET DIAGNOSTICS n_violations = ROW_COUNT;
  RETURN QUERY SELECT cardinality(ids)::bigint, n_violations, cutoff;
END $$;
REVOKE ALL ON FUNCTION aim_apply_decision_retention(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_apply_decision_retention(text, integer, integer) TO {{app_role}};

-- The organizations the row-wise decision retention visits: every one not on hold (ids only).
CREATE FUNCTION aim_decision_retention_due() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT o.id FROM organizations o WHERE o.legal_hold_at IS NULL $$;
REVOKE ALL ON FUNCTION aim_decision_retention_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_decision_retention_due() TO {{app_role}};
