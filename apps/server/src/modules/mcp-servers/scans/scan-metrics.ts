import { Counter, Histogram, type Metric, type Registry } from 'prom-client';

/**
 * Scan metrics on the app's registry: scans by status and failure reason, and how long they took. An app
 * built twice on one platform (tests) shares them.
 */
export interface ScanMetrics {
  /** A scan was recorded: `reason` null when it succeeded. */
  observeScan(reason: string | null, seconds: number): void;
}

export function createScanMetrics(registry: Registry): ScanMetrics {
  const once = <M extends Metric>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  const scans = once(
    'aim_mcp_scans_total',
    () =>
      new Counter({
        name: 'aim_mcp_scans_total',
        help: 'MCP server scans recorded, by status (succeeded, failed) and failure reason (none when it succeeded).',
        labelNames: ['status', 'reason'] as const,
        registers: [registry],
      }),
  );
  const duration = once(
    'aim_mcp_scan_duration_seconds',
    () =>
      new Histogram({
        name: 'aim_mcp_scan_duration_seconds',
        help: 'Time one MCP server scan took, from the first connection to the last answer.',
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      }),
  );
  return {
    observeScan(reason, seconds) {
      scans.labels({ status: reason ? 'failed' : 'succeeded', reason: reason ?? 'none' }).inc();
      duration.observe(seconds);
    },
  };
}
