-- SIEM streaming (docs/siem.md): every chained audit event is sent to the deployment's syslog
-- collector. What was sent is remembered per organization (a cursor: the last `seq` the collector's
-- TCP connection took), so nothing is skipped across a restart or an outage of the collector; one
-- instance streams at a time (a lease).

-- The last position of each organization's chain handed to the collector. Advanced only after the
-- messages up to it were written to the socket; never moves back.
CREATE TABLE siem_cursors (
  organization_id text PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE siem_cursors ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON siem_cursors
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON siem_cursors TO {{app_role}};

-- The stream itself, deployment-wide (one row): which instance streams (a lease it renews), and when
-- streaming first began (where a new deployment starts from is decided once, then).
CREATE TABLE siem_stream (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  holder text CHECK (char_length(holder) <= 100),
  lease_until timestamptz,
  started_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE siem_stream ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_scope_only ON siem_stream USING (aim_is_system_scope()) WITH CHECK (aim_is_system_scope());
GRANT SELECT ON siem_stream TO {{app_role}};

-- Take or renew the lease for `ttl_seconds`: true when `holder` streams now. The first claim ever
-- starts the stream: from the beginning of each organization's retained chain, or (start_now) from
-- each existing organization's head, so only what is chained from then on is sent. Organizations
-- created later always start from their beginning.
CREATE FUNCTION aim_siem_claim(claimant text, ttl_seconds integer, start_now boolean) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  taken integer;
BEGIN
  INSERT INTO siem_stream (id) VALUES (true) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS taken = ROW_COUNT;
  IF taken = 1 AND start_now THEN
    INSERT INTO siem_cursors (organization_id, seq)
      SELECT h.organization_id, h.seq FROM audit_chain_heads h ON CONFLICT DO NOTHING;
  END IF;
  UPDATE siem_stream SET holder = claimant, lease_until = now() + make_interval(secs => ttl_seconds)
   WHERE id AND (holder IS NULL OR holder = claimant OR lease_until < now());
  GET DIAGNOSTICS taken = ROW_COUNT;
  RETURN taken = 1;
END $$;
REVOKE ALL ON FUNCTION aim_siem_claim(text, integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_siem_claim(text, integer, boolean) TO {{app_role}};

-- Give the lease up (a clean stop), so another instance takes over at once.
CREATE FUNCTION aim_siem_release(claimant text) RETURNS void
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ UPDATE siem_stream SET holder = NULL, lease_until = NULL WHERE id AND holder = claimant $$;
REVOKE ALL ON FUNCTION aim_siem_release(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_siem_release(text) TO {{app_role}};

-- The organizations with chained events not yet streamed (the streamer's look across organizations;
-- ids and positions only): the cursor and the chain's head.
CREATE FUNCTION aim_siem_backlog() RETURNS TABLE (organization_id text, streamed bigint, chained bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT h.organization_id, coalesce(c.seq, 0), h.seq
          FROM audit_chain_heads h LEFT JOIN siem_cursors c ON c.organization_id = h.organization_id
         WHERE h.seq > coalesce(c.seq, 0)
         ORDER BY h.organization_id $$;
REVOKE ALL ON FUNCTION aim_siem_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_siem_backlog() TO {{app_role}};
