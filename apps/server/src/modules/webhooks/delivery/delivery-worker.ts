import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import type { ClaimedDelivery, DeliveryResult, DeliveryStore } from './delivery-store.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import { nextAttemptAt } from './retry-schedule.js';
import { clip, signatureHeaders, type AttemptOutcome, type WebhookSender } from './webhook-sender.js';

/**
 * The delivery worker, one per instance (docs/webhooks.md). It claims due deliveries in batches with a
 * lease (aim_webhook_claim_deliveries), sends them concurrently — at most `concurrency` at once and
 * `endpointConcurrency` per endpoint, so a slow endpoint holds its own share and never the others' —
 * and records the results in batches (aim_webhook_record_results). It looks for work every `pollMs`,
 * at once again after a full batch or a finished attempt, and when woken (a domain event was
 * dispatched: the fan-out may have scheduled deliveries). A delivery whose lease lapses (the instance
 * died, or stopped mid-attempt) goes again: at least once.
 */
export interface DeliveryWorkerOptions {
  store: Pick<DeliveryStore, 'claim' | 'record' | 'disable'>;
  sender: Pick<WebhookSender, 'send'>;
  keyring: Pick<Keyring, 'decrypt'>;
  logger: Logger;
  metrics?: DeliveryMetrics | undefined;
  timeoutMs: number;
  concurrency: number;
  endpointConcurrency: number;
  disableAfterHours: number;
  pollMs?: number;
  /** Largest claim (default 100). */
  batchSize?: number;
}

const SIGNERS_CACHED = 1_000;
/** Results recorded in one statement at most, and how long finished attempts are gathered first. */
const RECORD_BATCH = 500;
const RECORD_DELAY_MS = 20;
/** How long a stopping worker lets attempts in flight finish before it abandons them (their leases lapse). */
const STOP_GRACE_MS = 1_000;

export function createDeliveryWorker(options: DeliveryWorkerOptions) {
  const { store, sender, keyring, logger, metrics } = options;
  const pollMs = options.pollMs ?? 250;
  const batchSize = options.batchSize ?? 100;
  // Long enough for an attempt and its recording; a lapsed lease means the delivery goes again.
  const leaseSeconds = Math.ceil((2 * options.timeoutMs) / 1000) + 5;
  const disableAfterSeconds = options.disableAfterHours * 3600;

  const busy = new Map<string, number>();
  // Claim again once this many attempts have finished (set at each claim: half of what is in flight).
  let claimAfter = 1;
  let finished = 0;
  let after = '';
  let inFlight = 0;
  const attempts = new Set<Promise<void>>();
  const results: DeliveryResult[] = [];
  let flushing: Promise<void> | null = null;
  let running = false;
  let loop: Promise<void> | null = null;
  let woken = false;
  let wakeUp: (() => void) | null = null;
  const stopping = new AbortController();
  // Every attempt in flight listens to it.
  setMaxListeners(0, stopping.signal);
  const signers = new Map<string, Webhook>();

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  function signer(ciphertext: string, aad: string): Webhook {
    const key = `${aad}|${ciphertext}`;
    let found = signers.get(key);
    if (!found) {
      found = new Webhook(keyring.decrypt(ciphertext, aad));
      if (signers.size >= SIGNERS_CACHED) signers.delete(signers.keys().next().value!);
      signers.set(key, found);
    }
    return found;
  }

  const base = (d: ClaimedDelivery) => ({ id: d.deliveryId, occurred_at: d.eventOccurredAtExact, organization_id: d.organizationId, endpoint_id: d.endpointId });

  /** A final state without an attempt (endpoint disabled, event gone, secret unreadable). */
  const giveUp = (d: ClaimedDelivery, error: string): DeliveryResult => ({
    ...base(d),
    status: 'failed',
    next_attempt_at: null,
    attempted: false,
    attempted_at: null,
    status_code: null,
    latency_ms: null,
    excerpt: null,
    error_code: null,
    error,
    ok: false,
  });

  function resultOf(d: ClaimedDelivery, at: Date, outcome: AttemptOutcome): DeliveryResult {
    const next = outcome.ok ? null : nextAttemptAt(d.attempts + 1, new Date());
    return {
      ...base(d),
      status: outcome.ok ? 'succeeded' : next ? 'retrying' : 'failed',
      next_attempt_at: next?.toISOString() ?? null,
      attempted: true,
      attempted_at: at.toISOString(),
      status_code: outcome.statusCode,
      latency_ms: outcome.latencyMs,
      excerpt: outcome.excerpt,
      error_code: outcome.errorCode,
      error: outcome.error === null ? null : clip(outcome.error),
      ok: outcome.ok,
    };
  }

  async function attempt(d: ClaimedDelivery): Promise<DeliveryResult | null> {
    if (!d.enabled) return giveUp(d, 'endpoint disabled');
    if (!d.event) return giveUp(d, 'the event is no longer in the event log');
    let signing: Webhook[];
    try {
      signing = [signer(d.secretCiphertext, `webhook_endpoints.secret:${d.endpointId}`)];
      if (d.previousSecretCiphertext) signing.push(signer(d.previousSecretCiphertext, `webhook_endpoints.previous_secret:${d.endpointId}`));
    } catch (error) {
      logger.error({ err: error, endpointId: d.endpointId }, 'a webhook signing secret does not decrypt (AIM_ENCRYPTION_KEYS)');
      return giveUp(d, 'the signing secret could not be decrypted');
    }
    const payload = JSON.stringify({
      id: d.eventId,
      type: d.event.type,
      version: d.event.version,
      organizationId: d.organizationId,
      occurredAt: d.eventOccurredAt.toISOString(),
      data: d.event.data,
    });
    const at = new Date();
    const outcome = await sender.send(d.url, signatureHeaders(d.eventId, payload, signing, at), payload, stopping.signal);
    // Abandoned at shutdown: not recorded; the lease lapses and the delivery goes again.
    if (stopping.signal.aborted && !outcome.ok) return null;
    metrics?.observeAttempt(outcome.ok ? 'success' : outcome.errorCode!, outcome.latencyMs / 1000);
    return resultOf(d, at, outcome);
  }

  function start1(d: ClaimedDelivery): void {
    busy.set(d.endpointId, (busy.get(d.endpointId) ?? 0) + 1);
    inFlight++;
    const done = attempt(d)
      .catch((error: unknown) => {
        logger.error({ err: error, deliveryId: d.deliveryId }, 'webhook attempt failed unexpectedly');
        return null;
      })
      .then((result) => {
        const left = busy.get(d.endpointId)! - 1;
        if (left === 0) busy.delete(d.endpointId);
        else busy.set(d.endpointId, left);
        inFlight--;
        attempts.delete(done);
        if (result) {
          results.push(result);
          flush();
        }
        // Look for more once a few slots are free (or none is busy): one claim for several finished attempts.
        if (++finished >= claimAfter || inFlight === 0) wake();
      });
    attempts.add(done);
  }

  /** Record what has finished, in batches, one at a time; then disable the endpoints that must be. */
  function flush(): void {
    if (flushing) return;
    flushing = (async () => {
      // Gather what finishes meanwhile: one statement records many attempts.
      if (results.length < RECORD_BATCH) await new Promise((r) => setTimeout(r, RECORD_DELAY_MS));
      while (results.length > 0) {
        const batch = results.splice(0, RECORD_BATCH);
        try {
          const toDisable = await store.record(batch, disableAfterSeconds);
          for (const endpoint of toDisable) {
            const hours = Math.round(((Date.now() - endpoint.failingSince.getTime()) / 3_600_000) * 10) / 10;
            const reason = `Every delivery failed for ${hours} hours (since ${endpoint.failingSince.toISOString()}).`;
            if (await store.disable(endpoint, reason)) logger.warn({ endpointId: endpoint.endpointId, organizationId: endpoint.organizationId }, 'webhook endpoint disabled: it kept failing');
          }
        } catch (error) {
          // The leases lapse and these deliveries go again (at least once).
          logger.error({ err: error, count: batch.length }, 'recording webhook attempts failed');
        }
      }
    })().finally(() => {
      flushing = null;
      if (results.length > 0) flush();
    });
  }

  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || !running) return resolve();
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = finish;
    });

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      finished = 0;
      const free = Math.min(batchSize, options.concurrency - inFlight);
      let full = false;
      if (free > 0) {
        try {
          const claimed = await store.claim(free, options.endpointConcurrency, Object.fromEntries(busy), leaseSeconds, after);
          for (const d of claimed) start1(d);
          // (At most a quarter of the instance's share, so that attempts held by a slow endpoint do not delay the others' refill.)
          claimAfter = Math.max(1, Math.floor(options.endpointConcurrency / 2), Math.min(Math.floor(inFlight / 2), Math.floor(options.concurrency / 4)));
          // The next claim starts with the endpoints after these (every endpoint gets its turn).
          if (claimed.length > 0) after = claimed.reduce((max, d) => (d.endpointId > max ? d.endpointId : max), '');
          full = claimed.length === free;
        } catch (error) {
          logger.warn({ err: error }, 'claiming webhook deliveries failed; trying again');
          await idle(Math.max(pollMs, 1_000));
          continue;
        }
      }
      if (full && inFlight < options.concurrency) continue;
      await idle(pollMs);
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Look for due deliveries now (a domain event was dispatched). */
    wake,
    async stop(): Promise<void> {
      running = false;
      wake();
      await loop;
      if (attempts.size > 0) {
        await Promise.race([Promise.all(attempts), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
        stopping.abort();
        await Promise.all(attempts);
      }
      while (flushing) await flushing;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
