-- 0016 webhook delivery: the worker's look across organizations (docs/webhooks.md). Every instance runs
-- a worker; each claims due deliveries with a lease (FOR UPDATE SKIP LOCKED, so two never claim the same
-- row), sends them, and records many results in one statement. A worker that dies leaves its leases to
-- lapse, and the deliveries go again (at least once).
--
-- Both statements touch a few dozen rows by key, many times a second: they run with enable_seqscan off,
-- so that they look rows up by index however the table's size compares with the planner's guess of
-- their input (a jsonb array reads as 100 rows), rather than read the whole table for a hash join.

-- Finds an endpoint's due deliveries, and the next endpoint with any, without reading the others'. It
-- replaces the index on the due time alone: with that one the planner would read an endpoint's due
-- deliveries in due order across every endpoint, stepping through a slow endpoint's backlog (due
-- earliest) on every claim.
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
DROP INDEX webhook_deliveries_due;

-- Claim up to p_limit due deliveries for p_lease_seconds, at most p_per_endpoint in flight per endpoint:
-- p_busy maps an endpoint id to the deliveries this worker already has in flight for it. The endpoints
-- with due deliveries are found one index step each (a loose scan of webhook_deliveries_endpoint_due),
-- starting after p_after and wrapping around, so that however many deliveries a saturated (slow)
-- endpoint has waiting, they are stepped over, not read; then each endpoint's oldest due deliveries, up
-- to its free share, oldest first overall. Returns what a send needs: the endpoint (URL, whether enabled,
-- its secrets' ciphertexts; the previous one only while its overlap lasts) and the event as the contract
-- has it (null when the event log no longer holds it).
CREATE FUNCTION aim_webhook_claim_deliveries(p_limit integer, p_per_endpoint integer, p_busy jsonb, p_lease_seconds integer, p_after text)
  RETURNS TABLE (
    delivery_id text, event_occurred_at timestamptz, organization_id text, endpoint_id text, event_id text, attempts integer,
    url text, enabled boolean, secret_ciphertext text, previous_secret_ciphertext text,
    event_type text, event_version integer, event_data jsonb
  )
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET enable_seqscan = off
  AS $$
  WITH RECURSIVE later AS (
    SELECT (SELECT d.endpoint_id FROM webhook_deliveries d
             WHERE d.next_attempt_at <= now() AND d.endpoint_id > p_after ORDER BY d.endpoint_id LIMIT 1) AS endpoint_id, 1 AS n
    UNION ALL
    SELECT (SELECT d.endpoint_id FROM webhook_deliveries d
             WHERE d.next_attempt_at <= now() AND d.endpoint_id > l.endpoint_id ORDER BY d.endpoint_id LIMIT 1), l.n + 1
      FROM later l WHERE l.endpoint_id IS NOT NULL AND l.n < p_limit + (SELECT count(*)::integer FROM jsonb_object_keys(p_busy))
  ), earlier AS (
    SELECT (SELECT d.endpoint_id FROM webhook_deliveries d
             WHERE d.next_attempt_at <= now() AND d.endpoint_id <= p_after ORDER BY d.endpoint_id LIMIT 1) AS endpoint_id, 1 AS n
    UNION ALL
    SELECT (SELECT d.endpoint_id FROM webhook_deliveries d
             WHERE d.next_attempt_at <= now() AND d.endpoint_id > e.endpoint_id AND d.endpoint_id <= p_after ORDER BY d.endpoint_id LIMIT 1), e.n + 1
      FROM earlier e WHERE e.endpoint_id IS NOT NULL AND e.n < p_limit + (SELECT count(*)::integer FROM jsonb_object_keys(p_busy))
  ), endpoints AS (
    SELECT x.endpoint_id, p_per_endpoint - coalesce((p_busy ->> x.endpoint_id)::integer, 0) AS free
      FROM (SELECT endpoint_id FROM later UNION SELECT endpoint_id FROM earlier) x
     WHERE x.endpoint_id IS NOT NULL
  ), due AS (
    SELECT r.id, r.event_occurred_at, r.next_attempt_at
      FROM endpoints s
      CROSS JOIN LATERAL (
        SELECT d.id, d.event_occurred_at, d.next_attempt_at
          FROM webhook_deliveries d
         WHERE d.endpoint_id = s.endpoint_id AND d.next_attempt_at <= now()
           AND (d.lease_until IS NULL OR d.lease_until < now())
         ORDER BY d.endpoint_id, d.next_attempt_at -- the order of webhook_deliveries_endpoint_due
         LIMIT least(s.free, p_limit)
           FOR UPDATE SKIP LOCKED
      ) r
     WHERE s.free > 0
  ), picked AS (
    SELECT due.id, due.event_occurred_at FROM due ORDER BY due.next_attempt_at LIMIT p_limit
  ), claimed AS (
    UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => p_lease_seconds)
      FROM picked p
     WHERE d.id = p.id AND d.event_occurred_at = p.event_occurred_at
    RETURNING d.id, d.event_occurred_at, d.organization_id, d.endpoint_id, d.event_id, d.attempts
  )
  SELECT c.id, c.event_occurred_at, c.organization_id, c.endpoint_id, c.event_id, c.attempts,
         e.url, e.enabled, e.secret_ciphertext,
         CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_ciphertext END,
         ev.type, ev.version, ev.data
    FROM claimed c
    JOIN webhook_endpoints e ON e.id = c.endpoint_id
    LEFT JOIN webhook_events ev ON ev.organization_id = c.organization_id AND ev.id = c.event_id AND ev.occurred_at = c.event_occurred_at
  $$;
REVOKE ALL ON FUNCTION aim_webhook_claim_deliveries(integer, integer, jsonb, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_webhook_claim_deliveries(integer, integer, jsonb, integer, text) TO {{app_role}};

-- Record many results at once (a jsonb array, one element per claimed delivery): the delivery's new
-- state and its lease released, one webhook_attempts row per attempt made (`attempted`), and each
-- endpoint's run of failures (failing_since: the first failure after its last success; cleared by a
-- success) and last success. Returns the enabled endpoints that failed again while failing for longer
-- than p_disable_after_seconds: the caller disables them (with their audit record and event). (Every
-- data-modifying part runs to completion whether or not the final SELECT reads it.)
CREATE FUNCTION aim_webhook_record_results(p_results jsonb, p_disable_after_seconds double precision)
  RETURNS TABLE (organization_id text, endpoint_id text, url text, failing_since timestamptz)
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET enable_seqscan = off
  AS $$
  WITH r AS (
    SELECT *
      FROM jsonb_to_recordset(p_results) AS r(
        id text, occurred_at timestamptz, organization_id text, endpoint_id text, status text, next_attempt_at timestamptz,
        attempted boolean, attempted_at timestamptz, status_code integer, latency_ms integer, excerpt text,
        error_code text, error text, ok boolean)
  ), deliveries AS (
    UPDATE webhook_deliveries d
       SET status = r.status,
           attempts = d.attempts + CASE WHEN r.attempted THEN 1 ELSE 0 END,
           next_attempt_at = r.next_attempt_at,
           lease_until = NULL,
           last_attempt_at = CASE WHEN r.attempted THEN r.attempted_at ELSE d.last_attempt_at END,
           last_status_code = CASE WHEN r.attempted THEN r.status_code ELSE d.last_status_code END,
           last_error = r.error
      FROM r
     WHERE d.id = r.id AND d.event_occurred_at = r.occurred_at
    RETURNING d.id
  ), attempts AS (
    INSERT INTO webhook_attempts (delivery_id, organization_id, endpoint_id, attempted_at, status_code, latency_ms, response_excerpt, error_code, error)
    SELECT r.id, r.organization_id, r.endpoint_id, r.attempted_at, r.status_code, r.latency_ms, r.excerpt, r.error_code, r.error
      FROM r WHERE r.attempted AND r.id IN (SELECT deliveries.id FROM deliveries) -- not for a delivery deleted meanwhile (with its endpoint)
    RETURNING 1
  ), runs AS (
    SELECT s.endpoint_id, s.last_ok,
           min(r.attempted_at) FILTER (WHERE NOT r.ok AND (s.last_ok IS NULL OR r.attempted_at > s.last_ok)) AS first_failure
      FROM (SELECT r.endpoint_id, max(r.attempted_at) FILTER (WHERE r.ok) AS last_ok FROM r WHERE r.attempted GROUP BY r.endpoint_id) s
      JOIN r ON r.endpoint_id = s.endpoint_id AND r.attempted
     GROUP BY s.endpoint_id, s.last_ok
  ), endpoints AS (
    UPDATE webhook_endpoints e
       SET failing_since = CASE
             WHEN runs.first_failure IS NULL THEN CASE WHEN runs.last_ok IS NULL THEN e.failing_since END
             WHEN runs.last_ok IS NULL THEN coalesce(e.failing_since, runs.first_failure)
             ELSE runs.first_failure END,
           last_success_at = CASE WHEN runs.last_ok IS NULL THEN e.last_success_at ELSE greatest(e.last_success_at, runs.last_ok) END
      FROM runs
     WHERE e.id = runs.endpoint_id
    RETURNING e.organization_id, e.id, e.url, e.failing_since, e.enabled, runs.first_failure
  )
  SELECT x.organization_id, x.id, x.url, x.failing_since
    FROM endpoints x
   WHERE x.enabled AND x.first_failure IS NOT NULL
     AND x.failing_since < now() - make_interval(secs => p_disable_after_seconds)
  $$;
REVOKE ALL ON FUNCTION aim_webhook_record_results(jsonb, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_webhook_record_results(jsonb, double precision) TO {{app_role}};

-- How far behind delivery is, for the metrics: deliveries due now (deployment-wide) and the oldest due time.
CREATE FUNCTION aim_webhook_delivery_backlog() RETURNS TABLE (due bigint, oldest timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT count(*), min(d.next_attempt_at) FROM webhook_deliveries d WHERE d.next_attempt_at <= now() $$;
REVOKE ALL ON FUNCTION aim_webhook_delivery_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_webhook_delivery_backlog() TO {{app_role}};
