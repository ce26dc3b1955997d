-- Retention for trust_scores: every score keeps its evidence (about 2 KB), so a deployment that
-- recalculates often grows by millions of rows a year. Whole months older than the retention are
-- dropped by partition (cheap, no row-by-row delete, no bloat). Every agent's current score lives on
-- agents, so nothing current is lost; only history older than the retention goes.
CREATE FUNCTION aim_drop_trust_score_months(keep_months integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part record;
  upper_bound timestamptz;
  cutoff timestamptz;
  dropped integer := 0;
BEGIN
  IF keep_months IS NULL OR keep_months < 1 OR keep_months > 1200 THEN
    RAISE EXCEPTION 'keep_months must be between 1 and 1200';
  END IF;
  -- The start of the month keep_months before this one: a partition ending at or before it is older
  -- than every score the retention keeps.
  cutoff := (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => keep_months)) AT TIME ZONE 'UTC';
  FOR part IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.trust_scores'::regclass
  LOOP
    -- FOR VALUES FROM ('…') TO ('…'); a DEFAULT partition has no upper bound and is kept.
    upper_bound := substring(part.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
    CONTINUE WHEN upper_bound IS NULL OR upper_bound > cutoff;
    EXECUTE format('DROP TABLE public.%I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

REVOKE ALL ON FUNCTION aim_drop_trust_score_months(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_drop_trust_score_months(integer) TO {{app_role}};
