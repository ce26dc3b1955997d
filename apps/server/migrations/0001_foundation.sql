-- 0001 foundation: organizations, the audit log's write path, tenancy by row-level security.
--
-- Conventions every later migration follows:
--   * every tenant-owned table has `organization_id text not null` and row-level security with
--     the policy `tenant_isolation` built on aim_current_org_id();
--   * the application role {{app_role}} gets exactly the privileges it needs, table by table;
--   * ids are prefixed and time-sortable: <prefix>_<26 lower-case Crockford base32 characters>.

GRANT USAGE ON SCHEMA public TO {{app_role}};
DO $$ BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %s', current_database(), '{{app_role}}');
END $$;

-- The organization the current transaction acts for, or NULL. On a pooled connection an unset
-- transaction-local setting reads back as '' rather than NULL, hence nullif.
CREATE FUNCTION aim_current_org_id() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.current_org_id', true), '') $$;

CREATE TABLE organizations (
  id          text PRIMARY KEY CHECK (id ~ '^org_[0-9a-z]{26}$'),
  name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
-- An organization row is its own tenant: visible and writable only inside its own scope.
CREATE POLICY tenant_isolation ON organizations
  USING (id = aim_current_org_id())
  WITH CHECK (id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON organizations TO {{app_role}};

-- The audit log. Append-only: the application role may INSERT and SELECT only, and triggers
-- refuse UPDATE, DELETE and TRUNCATE for everyone. Range-partitioned by month. No foreign key
-- points into or out of it, so deleting anything else never touches an event.
CREATE SEQUENCE audit_events_ingest_id;
GRANT USAGE ON SEQUENCE audit_events_ingest_id TO {{app_role}};

CREATE TABLE audit_events (
  id               text NOT NULL CHECK (id ~ '^evt_[0-9a-z]{26}$'),
  organization_id  text NOT NULL CHECK (organization_id ~ '^org_[0-9a-z]{26}$'),
  -- Order of arrival, across organizations (a plain sequence: identity columns need PostgreSQL 17 on
  -- partitioned tables).
  ingest_id        bigint NOT NULL DEFAULT nextval('audit_events_ingest_id'),
  -- Position in the organization's hash chain (1, 2, 3, … with no gap) and
  -- SHA-256(hash of seq - 1 ‖ RFC 8785 canonical JSON of this event), the first chaining from 32 zero
  -- bytes. Both are empty while the event waits for the sequencer, and set once.
  seq              bigint CHECK (seq >= 1),
  hash             bytea CHECK (length(hash) = 32),
  occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_type       text NOT NULL CHECK (actor_type IN ('user', 'agent', 'api_key', 'system')),
  actor_id         text CHECK (actor_id IS NULL OR length(actor_id) BETWEEN 1 AND 200),
  action           text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' AND length(action) <= 100),
  target_type      text CHECK (target_type IS NULL OR target_type ~ '^[a-z][a-z0-9_]*$'),
  target_id        text CHECK (target_id IS NULL OR length(target_id) BETWEEN 1 AND 200),
  outcome          text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  request_id       text CHECK (request_id IS NULL OR length(request_id) <= 128),
  client_ip        inet,
  user_agent       text CHECK (user_agent IS NULL OR length(user_agent) <= 512),
  details          jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
  CHECK ((seq IS NULL) = (hash IS NULL)),
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_events_org_time ON audit_events (organization_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_org_seq ON audit_events (organization_id, seq DESC);
CREATE INDEX audit_events_org_ingest ON audit_events (organization_id, ingest_id DESC);
CREATE INDEX audit_events_pending ON audit_events (organization_id, ingest_id) WHERE seq IS NULL;
CREATE INDEX audit_events_org_actor ON audit_events (organization_id, actor_type, actor_id, occurred_at DESC);
CREATE INDEX audit_events_org_target ON audit_events (organization_id, target_type, target_id, occurred_at DESC);
CREATE INDEX audit_events_org_action ON audit_events (organization_id, action, occurred_at DESC);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
-- Column-level grants: the app writes an event's content, never its time (the database clock's) nor
-- its place in the chain (given only by aim_chain_audit_batch, below).
GRANT SELECT ON audit_events TO {{app_role}};
GRANT INSERT (id, organization_id, actor_type, actor_id, action, target_type, target_id, outcome,
              request_id, client_ip, user_agent, details) ON audit_events TO {{app_role}};

-- The head of each organization's chain: the last seq and hash. Created with the organization,
-- advanced only by the trigger below, in the same transaction as the event. Writers lock the head
-- row (SELECT … FOR UPDATE), so concurrent writers of one organization, on any number of server
-- instances, are serialized by the database into one unbroken chain. The app may lock the row
-- (UPDATE on the locked_at column alone) but never change seq or hash.
CREATE TABLE audit_chain_heads (
  organization_id  text PRIMARY KEY REFERENCES organizations (id) ON DELETE RESTRICT,
  seq              bigint NOT NULL DEFAULT 0,
  hash             bytea NOT NULL DEFAULT decode(repeat('00', 32), 'hex'),
  locked_at        timestamptz
);
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain_heads
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, UPDATE (locked_at) ON audit_chain_heads TO {{app_role}};

CREATE FUNCTION aim_create_chain_head() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_chain_heads (organization_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NEW;
END $$;
CREATE TRIGGER organizations_chain_head AFTER INSERT ON organizations
  FOR EACH ROW EXECUTE FUNCTION aim_create_chain_head();

-- The sequencer chains a batch through this function only: for the organization of the current scope,
-- it locks the head, gives the listed unchained events (in the order given) the next positions, stores
-- the hashes the sequencer computed, and moves the head to the last of them. The app role cannot set
-- a position itself; a hash it computed wrongly shows up at verification.
CREATE FUNCTION aim_chain_audit_batch(ids text[], hashes bytea[]) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  org text := aim_current_org_id();
  head_seq bigint;
  n integer := coalesce(array_length(ids, 1), 0);
  updated integer;
BEGIN
  IF org IS NULL THEN RAISE EXCEPTION 'chaining needs an organization scope'; END IF;
  IF n = 0 THEN RETURN 0; END IF;
  IF coalesce(array_length(hashes, 1), 0) <> n THEN RAISE EXCEPTION 'one hash per event'; END IF;
  SELECT h.seq INTO head_seq FROM audit_chain_heads h WHERE h.organization_id = org FOR UPDATE;
  IF head_seq IS NULL THEN RAISE EXCEPTION 'organization % has no audit chain', org; END IF;
  UPDATE audit_events e SET seq = head_seq + u.ord, hash = u.hash
    FROM unnest(ids, hashes) WITH ORDINALITY AS u(id, hash, ord)
   WHERE e.organization_id = org AND e.id = u.id AND e.seq IS NULL;
  GET DIAGNOSTICS updated = ROW_COUNT;
  IF updated <> n THEN
    RAISE EXCEPTION 'audit chain batch of % lists events that are not unchained events of %', n, org
      USING ERRCODE = 'serialization_failure';
  END IF;
  UPDATE audit_chain_heads SET seq = head_seq + n, hash = hashes[n] WHERE organization_id = org;
  RETURN head_seq + n;
END $$;
REVOKE ALL ON FUNCTION aim_chain_audit_batch(text[], bytea[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_chain_audit_batch(text[], bytea[]) TO {{app_role}};

-- Which organizations have events waiting to be chained (the sequencer's sweep; ids only).
CREATE FUNCTION aim_audit_pending_organizations() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT e.organization_id FROM audit_events e WHERE e.seq IS NULL $$;
REVOKE ALL ON FUNCTION aim_audit_pending_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_audit_pending_organizations() TO {{app_role}};

-- Events arrive unchained: their place in the chain is the sequencer's to give.
CREATE FUNCTION aim_audit_arrives_unchained() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq IS NOT NULL OR NEW.hash IS NOT NULL THEN
    RAISE EXCEPTION 'audit events are chained by the sequencer, not on insert' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_events_unchained BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION aim_audit_arrives_unchained();

CREATE FUNCTION aim_refuse_audit_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- The one change an event ever sees: its place in the chain, set once by aim_chain_audit_batch
-- (which runs as the owner of the table), nothing else touched.
CREATE FUNCTION aim_audit_only_sequencing() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE')
     AND (to_jsonb(NEW) - 'seq' - 'hash') = (to_jsonb(OLD) - 'seq' - 'hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit events are append-only: UPDATE is not allowed'
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION aim_audit_only_sequencing();
CREATE TRIGGER audit_events_no_delete
  BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION aim_refuse_audit_change();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION aim_refuse_audit_change();

-- Monthly partitions, created ahead of time. Each partition gets its own TRUNCATE guard
-- (statement triggers are not inherited) and row-level security, and no privileges for the
-- application role: it reaches rows only through the parent table and its policy.
CREATE TABLE aim_partitioned_tables (
  table_name text PRIMARY KEY
);
INSERT INTO aim_partitioned_tables (table_name) VALUES ('audit_events');

CREATE FUNCTION aim_ensure_partitions(months_ahead integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  parent text;
  month_start date;
  partition_name text;
  created integer := 0;
BEGIN
  IF months_ahead < 0 OR months_ahead > 24 THEN
    RAISE EXCEPTION 'months_ahead must be between 0 and 24';
  END IF;
  FOR parent IN SELECT table_name FROM aim_partitioned_tables LOOP
    FOR i IN 0..months_ahead LOOP
      month_start := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
      partition_name := format('%s_y%sm%s', parent, to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
      CONTINUE WHEN to_regclass(format('public.%I', partition_name)) IS NOT NULL;
      EXECUTE format(
        'CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
        partition_name, parent,
        month_start::timestamp AT TIME ZONE 'UTC',
        (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', partition_name);
      IF parent = 'audit_events' THEN
        EXECUTE format(
          'CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON public.%I FOR EACH STATEMENT EXECUTE FUNCTION public.aim_refuse_audit_change()',
          partition_name);
      END IF;
      created := created + 1;
    END LOOP;
  END LOOP;
  RETURN created;
END $$;

REVOKE ALL ON FUNCTION aim_ensure_partitions(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_ensure_partitions(integer) TO {{app_role}};
