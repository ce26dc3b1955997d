import type { Logger } from 'pino';
import type { Config } from '../../platform/config/env.js';
import type { Database } from '../../platform/db/database.js';
import type { DomainEvent } from '../../platform/events/domain-events.js';
import type { Feature } from '../../platform/feature.js';
import type { Metrics } from '../../platform/observability/metrics.js';
import { createSiemStreamer, type SiemStatus } from './siem-streamer.js';

export interface SiemFeatureDeps {
  db: Database;
  logger: Logger;
  siem: Config['siem'];
  /** AIM's public address: its host is the syslog HOSTNAME unless SIEM_SYSLOG_HOSTNAME is set. */
  publicOrigin: { readonly baseUrl: string };
  /** Every dispatched domain event, on every instance (the shared pub/sub). */
  listen: (listener: (event: DomainEvent) => void) => Promise<() => void>;
  metrics: Pick<Metrics, 'observeSiem'> | undefined;
}

/**
 * Audit streaming to the deployment's SIEM over syslog (docs/siem.md). No operations: background work
 * only, started when the app is ready and stopped when it closes; off when SIEM_SYSLOG_URL is unset.
 */
export function siemFeature(deps: SiemFeatureDeps): Feature & { status(): (SiemStatus & { configured: boolean }) } {
  const { siem } = deps;
  const destination = siem.destination;
  if (!destination) {
    return { name: 'siem', operations: [], status: () => ({ configured: false, streaming: false, connected: false, behind: 0, lastError: null }) };
  }
  const streamer = createSiemStreamer({
    db: deps.db,
    logger: deps.logger.child({ module: 'siem' }),
    destination,
    caFile: siem.caFile,
    header: () => ({ facility: siem.facility, appName: siem.appName, hostname: siem.hostname ?? new URL(deps.publicOrigin.baseUrl).hostname }),
    startNow: siem.start === 'now',
    retryMaxMs: siem.retryMaxMs,
    pollMs: siem.pollMs,
    listen: (wake) =>
      deps.listen((event) => {
        if (event.type === 'audit.appended') wake();
      }),
    observe: deps.metrics ? (update) => deps.metrics!.observeSiem(update) : undefined,
  });
  return {
    name: 'siem',
    operations: [],
    start: () => streamer.start(),
    stop: () => streamer.stop(),
    status: () => ({ configured: true, ...streamer.status() }),
  };
}
