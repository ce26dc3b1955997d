import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';

/**
 * Webhook delivery metrics, on the app's registry: attempts by outcome (`success` or the attempt's
 * error code), their latency, and the deliveries due deployment-wide (read on scrape, at most once a second).
 * An app built twice on one platform (tests) shares them.
 */
export interface DeliveryMetrics {
  observeAttempt(outcome: string, seconds: number): void;
}

export function createDeliveryMetrics(registry: Registry, backlog: () => Promise<{ due: number; oldestAgeSeconds: number }>): DeliveryMetrics {
  const once = <M extends Metric>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  const attempts = once('aim_webhook_attempts_total', () => new Counter({
    name: 'aim_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: success, or why the attempt failed (http_status, redirect, timeout, connection, tls, refused_address).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }));
  const latency = once('aim_webhook_attempt_duration_seconds', () => new Histogram({
    name: 'aim_webhook_attempt_duration_seconds',
    help: 'Time from sending a webhook to the end of its (capped) answer.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [registry],
  }));
  function observe(outcome: string, seconds: number): void {
    attempts.labels({ outcome }).inc();
    latency.observe(seconds);
  }
  let last: Promise<{ due: number; oldestAgeSeconds: number }> | undefined;
  const read = () =>
    (last ??= backlog()
      .catch(() => ({ due: 0, oldestAgeSeconds: 0 }))
      .finally(() => setTimeout(() => (last = undefined), 1_000).unref()));
  const metrics: DeliveryMetrics = { observeAttempt: observe };
  if (registry.getSingleMetric('aim_webhook_deliveries_due')) return metrics;
  new Gauge({
    name: 'aim_webhook_deliveries_due',
    help: 'Webhook deliveries due now and not yet sent (all instances).',
    registers: [registry],
    async collect() {
      this.set((await read()).due);
    },
  });
  new Gauge({
    name: 'aim_webhook_oldest_due_seconds',
    help: 'How long the oldest due webhook delivery has waited (0: none).',
    registers: [registry],
    async collect() {
      this.set((await read()).oldestAgeSeconds);
    },
  });
  return metrics;
}
