import type { Database } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { SYSTEM_CONTEXT } from '../../../platform/http/request-context.js';
import type { AttemptErrorCode } from './webhook-sender.js';

/**
 * The delivery worker's reads and writes (migration 0016): claims and results go through SECURITY
 * DEFINER functions, since one worker serves every organization; disabling an endpoint is a change of
 * its organization, made in that organization's scope with its audit record and event.
 */

/** A claimed delivery, with what sending it takes. */
export interface ClaimedDelivery {
  deliveryId: string;
  eventOccurredAt: Date;
  /** The same instant as PostgreSQL wrote it (microseconds; a Date keeps milliseconds), to find the row again. */
  eventOccurredAtExact: string;
  organizationId: string;
  endpointId: string;
  eventId: string;
  /** Attempts made before this one. */
  attempts: number;
  url: string;
  enabled: boolean;
  secretCiphertext: string;
  /** Only while the rotation's overlap lasts. */
  previousSecretCiphertext: string | null;
  /** Null when the event log no longer holds the event. */
  event: { type: string; version: number; data: unknown } | null;
}

/** What became of a claimed delivery: an attempt made (`attempted`), or a final state without one. */
export interface DeliveryResult {
  id: string;
  occurred_at: string;
  organization_id: string;
  endpoint_id: string;
  status: 'pending' | 'retrying' | 'succeeded' | 'failed';
  next_attempt_at: string | null;
  attempted: boolean;
  attempted_at: string | null;
  status_code: number | null;
  latency_ms: number | null;
  excerpt: string | null;
  error_code: AttemptErrorCode | null;
  error: string | null;
  ok: boolean;
}

/** An enabled endpoint that failed again after failing for longer than the window. */
export interface EndpointToDisable {
  organizationId: string;
  endpointId: string;
  url: string;
  failingSince: Date;
}

interface ClaimRow {
  delivery_id: string;
  event_occurred_at: Date;
  occurred_at_exact: string;
  organization_id: string;
  endpoint_id: string;
  event_id: string;
  attempts: number;
  url: string;
  enabled: boolean;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  event_type: string | null;
  event_version: number | null;
  event_data: unknown;
}

export function createDeliveryStore(deps: { db: Database; domainEvents: Pick<DomainEvents, 'record'> }) {
  const { db } = deps;
  return {
    /** Claim due deliveries (see aim_webhook_claim_deliveries); endpoints are visited from just after `after`, wrapping around. */
    async claim(limit: number, perEndpoint: number, busy: Record<string, number>, leaseSeconds: number, after = ''): Promise<ClaimedDelivery[]> {
      const { rows } = await db.query<ClaimRow>(
        'select *, event_occurred_at::text as occurred_at_exact from aim_webhook_claim_deliveries($1, $2, $3, $4, $5)',
        [limit, perEndpoint, JSON.stringify(busy), leaseSeconds, after],
        { name: 'aim.webhooks.claim' },
      );
      return rows.map((r) => ({
        deliveryId: r.delivery_id,
        eventOccurredAt: r.event_occurred_at,
        eventOccurredAtExact: r.occurred_at_exact,
        organizationId: r.organization_id,
        endpointId: r.endpoint_id,
        eventId: r.event_id,
        attempts: r.attempts,
        url: r.url,
        enabled: r.enabled,
        secretCiphertext: r.secret_ciphertext,
        previousSecretCiphertext: r.previous_secret_ciphertext,
        event: r.event_type === null ? null : { type: r.event_type, version: r.event_version!, data: r.event_data },
      }));
    },

    /** Record many results in one statement; the endpoints to disable now. */
    async record(results: readonly DeliveryResult[], disableAfterSeconds: number): Promise<EndpointToDisable[]> {
      const { rows } = await db.query<{ organization_id: string; endpoint_id: string; url: string; failing_since: Date }>(
        'select * from aim_webhook_record_results($1, $2)',
        [JSON.stringify(results), disableAfterSeconds],
        { name: 'aim.webhooks.record' },
      );
      return rows.map((r) => ({ organizationId: r.organization_id, endpointId: r.endpoint_id, url: r.url, failingSince: r.failing_since }));
    },

    /** Deliveries due now, deployment-wide, and how long the oldest has waited. */
    async backlog(): Promise<{ due: number; oldestAgeSeconds: number }> {
      const { rows } = await db.query<{ due: string; oldest: Date | null }>('select * from aim_webhook_delivery_backlog()');
      const oldest = rows[0]?.oldest;
      return { due: Number(rows[0]?.due ?? 0), oldestAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0 };
    },

    /**
     * Disable an endpoint that kept failing, in its organization's scope: the endpoint (if still
     * enabled), its pending deliveries failed, the audit record (actor system) and `webhook.disabled`
     * (its owners are told), all in one transaction. False when it was no longer enabled.
     */
    async disable(endpoint: EndpointToDisable, reason: string): Promise<boolean> {
      return db.transaction({ organizationId: endpoint.organizationId }, async (tx) => {
        const { rows } = await tx.query<{ url: string; failing_since: Date | null }>(
          `update webhook_endpoints set enabled = false, disabled_reason = $2, updated_at = now()
            where organization_id = $3 and id = $1 and enabled returning url, failing_since`,
          [endpoint.endpointId, reason, endpoint.organizationId],
        );
        const disabled = rows[0];
        if (!disabled) return false;
        const failed = await tx.query(
          `update webhook_deliveries set status = 'failed', next_attempt_at = null, lease_until = null, last_error = 'endpoint disabled'
            where organization_id = $2 and endpoint_id = $1 and next_attempt_at is not null`,
          [endpoint.endpointId, endpoint.organizationId],
        );
        const failingSince = (disabled.failing_since ?? endpoint.failingSince).toISOString();
        await recordAuditEvent(tx, { ...SYSTEM_CONTEXT, requestId: 'webhook-delivery' }, {
          action: 'webhook_endpoint.disable',
          target: { type: 'webhook_endpoint', id: endpoint.endpointId },
          details: { reason, failingSince, pendingDeliveriesFailed: failed.rowCount ?? 0 },
        });
        await deps.domainEvents.record(tx, 'webhook.disabled', { endpointId: endpoint.endpointId, url: disabled.url, reason, failingSince });
        return true;
      });
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;
