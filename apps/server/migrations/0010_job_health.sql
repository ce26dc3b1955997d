-- Job health: the last successful run and the last failure of each scheduled job, one row per job,
-- written by the worker when a run ends. Deployment-wide, not tenant data: no organization_id, and a
-- failure keeps only a short description that names no organization and quotes no data.
-- pg-boss keeps its own job rows only for a while (archived after 12 hours, dropped after 7 days),
-- so the last success of a daily job would vanish with them; this table keeps it, and every instance
-- reads the same rows.
CREATE TABLE job_health (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9.-]{0,99}$'),
  last_success_at timestamptz,
  last_success_ms integer CHECK (last_success_ms >= 0),
  last_failure_at timestamptz,
  last_failure text CHECK (char_length(last_failure) <= 200)
);
-- Read and written outside any organization's scope only (the workers, the admin read, the metrics).
ALTER TABLE job_health ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_scope_only ON job_health USING (aim_is_system_scope()) WITH CHECK (aim_is_system_scope());
GRANT SELECT, INSERT, UPDATE ON job_health TO {{app_role}};
