import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Feature } from '../../../platform/feature.js';
import type { Config } from '../../../platform/config/env.js';
import type { Database } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import type { OutboundGuard } from '../../../platform/net/outbound-guard.js';
import { createDeliveryStore } from './delivery-store.js';
import { createDeliveryMetrics } from './delivery-metrics.js';
import { createDeliveryWorker } from './delivery-worker.js';
import { createWebhookSender } from './webhook-sender.js';

/**
 * Webhook delivery as a feature: no operations, a worker on every instance that starts with the app
 * and stops with it. It looks for due deliveries every 250 ms, and at once when `wake` is called: the
 * fan-out calls it on the instance that scheduled deliveries (not on every dispatched event, which at
 * hundreds of decisions a second would be a claim query each).
 */
export function webhookDeliveryFeature(deps: {
  db: Database;
  domainEvents: Pick<DomainEvents, 'record'>;
  keyring: Keyring;
  outbound: Pick<OutboundGuard, 'check' | 'createAgent'>;
  logger: Logger;
  metrics: Registry | undefined;
  config: Config['webhookDelivery'];
  version: string;
}): Feature & { wake(): void } {
  const store = createDeliveryStore({ db: deps.db, domainEvents: deps.domainEvents });
  const sender = createWebhookSender({ guard: deps.outbound, timeoutMs: deps.config.timeoutMs, userAgent: `AIM-Webhooks/${deps.version} (Agent Identity Management)` });
  const logger = deps.logger.child({ component: 'webhook-delivery' });
  const worker = createDeliveryWorker({
    store,
    sender,
    keyring: deps.keyring,
    logger,
    metrics: deps.metrics ? createDeliveryMetrics(deps.metrics, () => store.backlog()) : undefined,
    timeoutMs: deps.config.timeoutMs,
    concurrency: deps.config.concurrency,
    endpointConcurrency: deps.config.endpointConcurrency,
    disableAfterHours: deps.config.disableAfterHours,
  });
  return {
    name: 'webhook-delivery',
    operations: [],
    /** Deliveries were scheduled on this instance: look for them now. */
    wake: () => worker.wake(),
    start() {
      if (deps.config.paused) {
        logger.warn({}, 'webhook delivery is paused (WEBHOOK_DELIVERY_PAUSED): deliveries wait');
        return;
      }
      worker.start();
    },
    async stop() {
      await worker.stop();
      await sender.close();
    },
  };
}
