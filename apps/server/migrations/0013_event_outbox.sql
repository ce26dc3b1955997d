-- The transactional outbox of domain events (docs/events.md). An event is inserted in the transaction
-- of the change it announces, so it exists exactly when the change committed; the dispatcher hands
-- it on afterwards (in-process subscribers and the shared pub/sub) and marks it dispatched. `seq`
-- orders an organization's events; delivered rows are deleted after a retention period.
CREATE TABLE event_outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Unique by construction (48 bits of time, 80 random); not indexed, to keep the write path light.
  id text NOT NULL CHECK (id ~ '^dev_[0-9a-z]{26}$'),
  organization_id text NOT NULL,
  type text NOT NULL CHECK (type ~ '^[a-z]+\.[a-z_]+$'),
  version integer NOT NULL CHECK (version > 0),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL,
  dispatched_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  -- A failed delivery is tried again from this time on (its subscribers threw).
  retry_at timestamptz
);
-- What the dispatcher reads: an organization's undelivered events, in order.
CREATE INDEX event_outbox_pending ON event_outbox (organization_id, seq) WHERE dispatched_at IS NULL;
-- What the retention deletes: old rows (BRIN: rows arrive in time order, and it costs next to nothing to keep).
CREATE INDEX event_outbox_age ON event_outbox USING brin (occurred_at);

-- Written in the tenant's own transactions; read and marked by the dispatcher in each tenant's scope.
ALTER TABLE event_outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_outbox
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON event_outbox TO {{app_role}};

-- The organizations with events to deliver (the dispatcher's look across organizations; ids only).
CREATE FUNCTION aim_event_outbox_pending_organizations() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT e.organization_id FROM event_outbox e WHERE e.dispatched_at IS NULL AND (e.retry_at IS NULL OR e.retry_at <= now()) $$;
REVOKE ALL ON FUNCTION aim_event_outbox_pending_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_event_outbox_pending_organizations() TO {{app_role}};

-- How far behind delivery is, for the metrics: undelivered events and the age of the oldest.
CREATE FUNCTION aim_event_outbox_backlog() RETURNS TABLE (pending bigint, oldest timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT count(*), min(e.occurred_at) FROM event_outbox e WHERE e.dispatched_at IS NULL $$;
REVOKE ALL ON FUNCTION aim_event_outbox_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_event_outbox_backlog() TO {{app_role}};

-- Delivered events recorded longer ago than the retention go, at most max_rows per call; the count deleted.
CREATE FUNCTION aim_prune_event_outbox(keep interval, max_rows integer) RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  n integer;
BEGIN
  IF keep < interval '1 minute' OR max_rows < 1 OR max_rows > 100000 THEN
    RAISE EXCEPTION 'keep must be at least a minute and max_rows between 1 and 100000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM event_outbox WHERE seq IN (
    SELECT e.seq FROM event_outbox e WHERE e.occurred_at < now() - keep AND e.dispatched_at IS NOT NULL LIMIT max_rows);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION aim_prune_event_outbox(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_prune_event_outbox(interval, integer) TO {{app_role}};
