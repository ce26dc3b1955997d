-- 0015 webhooks: an organization's endpoints that receive domain events over HTTPS (docs/webhooks.md),
-- the events they were offered (the log replays read), one delivery per endpoint and event, and every
-- attempt of each delivery. The time series are range-partitioned by month and dropped by partition
-- when older than the retention.

CREATE TABLE webhook_endpoints (
  id               text PRIMARY KEY CHECK (id ~ '^whk_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  url              text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
  description      text CHECK (description IS NULL OR length(description) <= 500),
  -- Exact types, prefixes (decision.*) or *; checked against the event contract by the API.
  event_types      text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
  enabled          boolean NOT NULL DEFAULT true,
  disabled_reason  text CHECK (disabled_reason IS NULL OR length(disabled_reason) <= 500),
  -- Signing secrets, encrypted at rest with the keyring (the additional data binds each to this row).
  -- During a rotation's overlap the previous secret signs too, until previous_secret_expires_at.
  secret_ciphertext          text NOT NULL,
  previous_secret_ciphertext text,
  previous_secret_expires_at timestamptz,
  secret_rotated_at          timestamptz,
  -- The first failed attempt of the current unbroken run of failures (null after a success): an
  -- endpoint failing for days is disabled.
  failing_since    timestamptz,
  last_success_at  timestamptz,
  created_by_type  text NOT NULL CHECK (created_by_type IN ('user', 'api_key')),
  created_by_id    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((previous_secret_ciphertext IS NULL) = (previous_secret_expires_at IS NULL)),
  CHECK (enabled OR disabled_reason IS NOT NULL)
);
CREATE INDEX webhook_endpoints_org_id ON webhook_endpoints (organization_id, id DESC);
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO {{app_role}};

-- The events offered to an organization's endpoints, as delivered (the event contract's JSON), kept
-- for replays and for the payload of each delivery. Written only while the organization has an endpoint.
CREATE TABLE webhook_events (
  id               text NOT NULL CHECK (id ~ '^dev_[0-9a-z]{26}$'),
  organization_id  text NOT NULL,
  type             text NOT NULL,
  version          integer NOT NULL CHECK (version > 0),
  occurred_at      timestamptz NOT NULL,
  data             jsonb NOT NULL,
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX webhook_events_org_time ON webhook_events (organization_id, occurred_at);
INSERT INTO aim_partitioned_tables (table_name) VALUES ('webhook_events');
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_events
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT ON webhook_events TO {{app_role}};

-- One delivery per endpoint and event: a repeat of the fan-out, a replay or a redelivery reschedules
-- the same row (the receiver sees the same webhook-id). Partitioned with its event, by the event's time.
CREATE TABLE webhook_deliveries (
  id                 text NOT NULL CHECK (id ~ '^whd_[0-9a-z]{26}$'),
  organization_id    text NOT NULL,
  endpoint_id        text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id           text NOT NULL,
  event_type         text NOT NULL,
  event_occurred_at  timestamptz NOT NULL,
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed')),
  attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- When the next attempt is due; null once the delivery is final (succeeded or failed).
  next_attempt_at    timestamptz,
  -- A worker that claimed the delivery owns it until then (a crashed worker's claim lapses).
  lease_until        timestamptz,
  last_attempt_at    timestamptz,
  last_status_code   integer,
  last_error         text CHECK (last_error IS NULL OR length(last_error) <= 1000),
  created_at         timestamptz NOT NULL DEFAULT now(),
  CHECK ((next_attempt_at IS NULL) = (status IN ('succeeded', 'failed'))),
  PRIMARY KEY (id, event_occurred_at),
  UNIQUE (endpoint_id, event_id, event_occurred_at)
) PARTITION BY RANGE (event_occurred_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (organization_id, endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_id ON webhook_deliveries (id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
INSERT INTO aim_partitioned_tables (table_name) VALUES ('webhook_deliveries');
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO {{app_role}};

-- Every attempt of every delivery, as it happened.
CREATE TABLE webhook_attempts (
  delivery_id       text NOT NULL,
  organization_id   text NOT NULL,
  endpoint_id       text NOT NULL,
  attempted_at      timestamptz NOT NULL,
  status_code       integer,
  latency_ms        integer NOT NULL CHECK (latency_ms >= 0),
  response_excerpt  text CHECK (response_excerpt IS NULL OR length(response_excerpt) <= 1000),
  error_code        text CHECK (error_code IS NULL OR error_code IN ('http_status', 'redirect', 'timeout', 'connection', 'tls', 'refused_address', 'response_too_large')),
  error             text CHECK (error IS NULL OR length(error) <= 1000)
) PARTITION BY RANGE (attempted_at);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (organization_id, delivery_id, attempted_at);
INSERT INTO aim_partitioned_tables (table_name) VALUES ('webhook_attempts');
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_attempts
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT ON webhook_attempts TO {{app_role}};

-- created_by_type says how the endpoint was created (a person signed in, or an API key); created_by_id
-- is always the person: the signed-in person, or the person who created the API key (the one told
-- when AIM disables the endpoint).
COMMENT ON COLUMN webhook_endpoints.created_by_id IS 'The person (usr_…) who created the endpoint, directly or through their API key';

-- A fresh id of AIM's format (platform/ids.ts): the prefix, then 26 lower-case Crockford base32
-- characters, 48 bits of milliseconds since the epoch and 80 random bits, so ids sort by creation.
-- For statements that create many rows at once (the webhook fan-out). Straight-line code: about 7 µs
-- an id (a loop over the characters took 17).
CREATE FUNCTION aim_new_id(prefix text) RETURNS text
  LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
  a constant text := '0123456789abcdefghjkmnpqrstvwxyz';
  ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  -- 122 random bits; bytes 6 and 8 carry the uuid's version and variant in their high bits.
  r bytea := uuid_send(gen_random_uuid());
BEGIN
  RETURN prefix || '_'
      || substr(a, ((ms >> 45) & 31)::int + 1, 1) || substr(a, ((ms >> 40) & 31)::int + 1, 1)
      || substr(a, ((ms >> 35) & 31)::int + 1, 1) || substr(a, ((ms >> 30) & 31)::int + 1, 1)
      || substr(a, ((ms >> 25) & 31)::int + 1, 1) || substr(a, ((ms >> 20) & 31)::int + 1, 1)
      || substr(a, ((ms >> 15) & 31)::int + 1, 1) || substr(a, ((ms >> 10) & 31)::int + 1, 1)
      || substr(a, ((ms >> 5) & 31)::int + 1, 1) || substr(a, (ms & 31)::int + 1, 1)
      || substr(a, get_byte(r, 0) % 32 + 1, 1) || substr(a, get_byte(r, 1) % 32 + 1, 1) || substr(a, get_byte(r, 2) % 32 + 1, 1)
      || substr(a, get_byte(r, 3) % 32 + 1, 1) || substr(a, get_byte(r, 4) % 32 + 1, 1) || substr(a, get_byte(r, 5) % 32 + 1, 1)
      || substr(a, get_byte(r, 7) % 32 + 1, 1) || substr(a, get_byte(r, 8) % 32 + 1, 1) || substr(a, get_byte(r, 9) % 32 + 1, 1)
      || substr(a, get_byte(r, 10) % 32 + 1, 1) || substr(a, get_byte(r, 11) % 32 + 1, 1) || substr(a, get_byte(r, 12) % 32 + 1, 1)
      || substr(a, get_byte(r, 13) % 32 + 1, 1) || substr(a, get_byte(r, 14) % 32 + 1, 1) || substr(a, get_byte(r, 15) % 32 + 1, 1)
      || substr(a, (get_byte(r, 6) % 16) * 2 + (get_byte(r, 8) >> 5) % 2 + 1, 1);
END $$;
REVOKE ALL ON FUNCTION aim_new_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_new_id(text) TO {{app_role}};

-- Whether an organization has an endpoint (enabled or not): the fan-out's first question for every
-- batch of events, answered in one round trip without a transaction (most organizations have none).
-- Events are kept while it has any, so a disabled endpoint enabled again can replay what it missed.
-- (plpgsql keeps its plan across calls; a SECURITY DEFINER SQL function is planned on every call.)
CREATE FUNCTION aim_has_webhook_endpoints(org text) RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM webhook_endpoints WHERE organization_id = org);
END $$;
REVOKE ALL ON FUNCTION aim_has_webhook_endpoints(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_has_webhook_endpoints(text) TO {{app_role}};

-- Retention (WEBHOOK_RETENTION_DAYS): whole months of events, deliveries and attempts whose every
-- row is older than the retention are dropped by partition (as 0009 does for trust scores), so data
-- is kept at least the retention and at most a month longer.
CREATE FUNCTION aim_drop_webhook_months(keep_days integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  part record;
  upper_bound timestamptz;
  cutoff timestamptz;
  dropped integer := 0;
BEGIN
  IF keep_days IS NULL OR keep_days < 1 OR keep_days > 36500 THEN
    RAISE EXCEPTION 'keep_days must be between 1 and 36500';
  END IF;
  cutoff := now() - make_interval(days => keep_days);
  FOR part IN
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent IN ('public.webhook_events'::regclass, 'public.webhook_deliveries'::regclass, 'public.webhook_attempts'::regclass)
  LOOP
    -- FOR VALUES FROM ('…') TO ('…'); a DEFAULT partition has no upper bound and is kept.
    upper_bound := substring(part.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
    CONTINUE WHEN upper_bound IS NULL OR upper_bound > cutoff;
    EXECUTE format('DROP TABLE public.%I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;
REVOKE ALL ON FUNCTION aim_drop_webhook_months(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_drop_webhook_months(integer) TO {{app_role}};
