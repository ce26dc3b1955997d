import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobHealth } from '../jobs/job-health.js';

/** A scrape reads the job health at most this often (every instance reads the same rows). */
const JOB_HEALTH_MAX_AGE_MS = 15_000;

/**
 * Prometheus metrics, one registry per app instance. Labels use the route pattern
 * (`/api/v1/agents/:id`), never the raw URL, so cardinality stays bounded.
 */
export interface Metrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A domain event was delivered, `lagSeconds` after it was recorded. */
  observeEventDispatch(type: string, lagSeconds: number): void;
  /** The SIEM stream (modules/siem): events written to the collector, how many wait, whether it is connected. */
  observeSiem(update: { streamed?: number; behind?: number; connected?: boolean }): void;
  /** An agent request refused at authentication, by its error code (unknown key ids included). */
  countAgentAuthFailure(reason: string): void;
  /** The monitoring ingestion read `decisions` decisions and wrote `findings` findings in one batch. */
  observeDetection(update: { decisions: number; findings: number; seconds: number }): void;
}

export function createMetrics(options: {
  poolStats: () => { total: number; idle: number; waiting: number; max: number };
  jobHealth?: { readCached(maxAgeMs: number): Promise<JobHealth[]> };
  /** Undelivered domain events, deployment-wide (read on scrape). */
  eventBacklog?: () => Promise<{ pending: number; oldestAgeSeconds: number }>;
}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'aim_' });

  const duration = new Histogram({
    name: 'aim_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const total = new Counter({
    name: 'aim_http_requests_total',
    help: 'HTTP requests by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const pool = (name: string, help: string, pick: (s: ReturnType<typeof options.poolStats>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(options.poolStats()));
      },
    });
  pool('aim_db_pool_connections', 'Open database connections in the pool.', (s) => s.total);
  pool('aim_db_pool_idle_connections', 'Idle database connections in the pool.', (s) => s.idle);
  pool('aim_db_pool_waiting_requests', 'Queries waiting for a free database connection.', (s) => s.waiting);
  pool('aim_db_pool_max_connections', 'Configured maximum size of the database pool.', (s) => s.max);

  // Scheduled jobs, deployment-wide (from the database): alert when a success is older than its schedule allows.
  const jobHealth = options.jobHealth;
  if (jobHealth) {
    const seconds = (d: Date | null) => (d ? d.getTime() / 1000 : 0);
    const job = (name: string, help: string, pick: (j: JobHealth) => Date | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['job'] as const,
        registers: [registry],
        async collect() {
          for (const j of await jobHealth.readCached(JOB_HEALTH_MAX_AGE_MS)) this.set({ job: j.name }, seconds(pick(j)));
        },
      });
    job('aim_job_last_success_timestamp_seconds', 'When each scheduled job last completed a run (Unix seconds; 0: never).', (j) => j.lastSuccessAt);
    job('aim_job_last_failure_timestamp_seconds', 'When a run of each scheduled job last failed (Unix seconds; 0: never).', (j) => j.lastFailureAt);
  }

  // Domain events (the outbox): how many wait, for how long, and how long delivery took.
  const eventBacklog = options.eventBacklog;
  if (eventBacklog) {
    let last: Promise<{ pending: number; oldestAgeSeconds: number }> | undefined;
    const read = () => (last ??= eventBacklog().catch(() => ({ pending: 0, oldestAgeSeconds: 0 })).finally(() => setTimeout(() => (last = undefined), 1_000).unref()));
    new Gauge({
      name: 'aim_event_outbox_pending',
      help: 'Domain events committed but not yet delivered (all instances).',
      registers: [registry],
      async collect() {
        this.set((await read()).pending);
      },
    });
    new Gauge({
      name: 'aim_event_outbox_oldest_pending_seconds',
      help: 'Age of the oldest undelivered domain event (0: none waiting).',
      registers: [registry],
      async collect() {
        this.set((await read()).oldestAgeSeconds);
      },
    });
  }
  const eventLag = new Histogram({
    name: 'aim_event_dispatch_lag_seconds',
    help: 'Time from recording a domain event to delivering it, by event type.',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  // The audit stream to the SIEM collector (docs/siem.md), on the instance that streams.
  const siemStreamed = new Counter({ name: 'aim_siem_events_streamed_total', help: 'Audit events written to the SIEM collector (resent ones counted again).', registers: [registry] });
  const siemBehind = new Gauge({ name: 'aim_siem_events_behind', help: 'Chained audit events not yet streamed to the SIEM collector, at the last look.', registers: [registry] });
  const siemConnected = new Gauge({ name: 'aim_siem_connected', help: '1 while this instance is connected to the SIEM collector.', registers: [registry] });

  // Refused agent requests by code: those naming no known key belong to no organization and are only counted here.
  const agentAuthFailures = new Counter({
    name: 'aim_agent_authentication_failures_total',
    help: 'Agent requests refused at authentication, by reason (the error code); unknown key ids included.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // The monitoring ingestion (docs/monitoring.md): decisions read, findings written, time per batch.
  const detectionDecisions = new Counter({ name: 'aim_monitoring_decisions_ingested_total', help: 'Decisions the monitoring ingestion counted.', registers: [registry] });
  const detectionFindings = new Counter({ name: 'aim_monitoring_findings_total', help: 'Findings the detectors produced (alerts raised or counted, and learning findings).', registers: [registry] });
  const detectionBatch = new Histogram({
    name: 'aim_monitoring_batch_seconds',
    help: 'Time the monitoring ingestion took per dispatch batch.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // Label children are cached per (method, route, status): the hot path avoids re-hashing labels.
  const children = new Map<string, { d: { observe(v: number): void }; t: { inc(): void } }>();
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method, route, status_code: String(status) };
        child = { d: duration.labels(labels), t: total.labels(labels) };
        children.set(key, child);
      }
      child.d.observe(seconds);
      child.t.inc();
    },
    observeEventDispatch(type, lagSeconds) {
      eventLag.labels({ type }).observe(lagSeconds);
    },
    observeSiem({ streamed, behind, connected }) {
      if (streamed) siemStreamed.inc(streamed);
      if (behind !== undefined) siemBehind.set(behind);
      if (connected !== undefined) siemConnected.set(connected ? 1 : 0);
    },
    countAgentAuthFailure(reason) {
      agentAuthFailures.labels({ reason }).inc();
    },
    observeDetection({ decisions, findings, seconds }) {
      detectionDecisions.inc(decisions);
      if (findings > 0) detectionFindings.inc(findings);
      detectionBatch.observe(seconds);
    },
  };
}
