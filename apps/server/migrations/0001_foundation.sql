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
CREATE TABLE audit_events (
  id               text NOT NULL CHECK (id ~ '^evt_[0-9a-z]{26}$'),
  organization_id  text NOT NULL CHECK (organization_id ~ '^org_[0-9a-z]{26}$'),
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
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_events_org_time ON audit_events (organization_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_org_actor ON audit_events (organization_id, actor_type, actor_id, occurred_at DESC);
CREATE INDEX audit_events_org_target ON audit_events (organization_id, target_type, target_id, occurred_at DESC);
CREATE INDEX audit_events_org_action ON audit_events (organization_id, action, occurred_at DESC);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
  USING (organization_id = aim_current_org_id())
  WITH CHECK (organization_id = aim_current_org_id());
-- Column-level INSERT: the app cannot choose occurred_at, which always comes from the database clock.
GRANT SELECT ON audit_events TO {{app_role}};
GRANT INSERT (id, organization_id, actor_type, actor_id, action, target_type, target_id, outcome,
              request_id, client_ip, user_agent, details) ON audit_events TO {{app_role}};

CREATE FUNCTION aim_refuse_audit_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
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
