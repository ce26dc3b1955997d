-- The transactional outbox of domain events (docs/events.md). An event is inserted in the transaction
-- of the change it announces, so it exists exactly when the change committed; the dispatcher hands it
-- on afterwards (in-process subscriptions and the shared pub/sub) and deletes it in the transaction
-- that delivered it, so the table holds only what waits. `seq` orders an organization's events.
CREATE TABLE event_outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Unique by construction (48 bits of time, 80 random); not indexed, to keep the write path light.
  id text NOT NULL CHECK (id ~ '^dev_[0-9a-z]{26}$'),
  organization_id text NOT NULL,
  type text NOT NULL CHECK (type ~ '^[a-z]+\.[a-z_]+$'),
  version integer NOT NULL CHECK (version > 0),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  -- A failed delivery is tried again from this time on (a subscription threw).
  retry_at timestamptz
);
-- What the dispatcher reads: an organization's events, in order.
CREATE INDEX event_outbox_organization ON event_outbox (organization_id, seq);

-- Written in the tenant's own transactions; read and deleted by the dispatcher in each tenant's scope.
ALTER TABLE event_outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_outbox
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON event_outbox TO {{app_role}};

-- The organizations with events to deliver now (the dispatcher's look across organizations; ids only).
CREATE FUNCTION aim_event_outbox_pending_organizations() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT e.organization_id FROM event_outbox e WHERE e.retry_at IS NULL OR e.retry_at <= now() $$;
REVOKE ALL ON FUNCTION aim_event_outbox_pending_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_event_outbox_pending_organizations() TO {{app_role}};

-- How far behind delivery is, for the metrics: undelivered events and the time the oldest was recorded.
CREATE FUNCTION aim_event_outbox_backlog() RETURNS TABLE (pending bigint, oldest timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT count(*), min(e.occurred_at) FROM event_outbox e $$;
REVOKE ALL ON FUNCTION aim_event_outbox_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_event_outbox_backlog() TO {{app_role}};
