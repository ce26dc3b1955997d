import type { redeliverFailedSchema, replayWebhookEventsSchema, webhookDeliveryListQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { webhookAttemptJson, webhookDeliveryJson, webhookDeliveryRepository, webhookEndpointRepository, webhookEventRepository } from './webhook-repository.js';
import { webhookEndpointNotFound } from './webhook-service.js';

/**
 * The delivery log of an endpoint and its tools: list and read deliveries (every attempt), redeliver
 * one, redeliver all that failed since a time, replay the events of a period. A redelivery or a
 * replay puts the delivery back to pending, due now, keeping its id, its attempts and its event id
 * (the receiver sees the same webhook-id); the delivery engine sends it.
 */
export type DeliveryListQuery = z.output<typeof webhookDeliveryListQuerySchema>;
export type RedeliverFailedInput = z.output<typeof redeliverFailedSchema>;
export type ReplayInput = z.output<typeof replayWebhookEventsSchema>;

/** Deliveries one replay may schedule. */
export const MAX_REPLAY = 10_000;

export const webhookDeliveryNotFound = () => new AppError('webhook_delivery_not_found', 'The webhook endpoint has no delivery with this id.');

export function createWebhookLogService(deps: { db: Database }) {
  const { db } = deps;

  async function endpointOf(tx: Tx, endpointId: string, forUpdate = false) {
    const endpoint = await webhookEndpointRepository.find(tx, endpointId, { forUpdate });
    if (!endpoint) throw webhookEndpointNotFound();
    return endpoint;
  }

  return {
    async list(ctx: OrgContext, endpointId: string, query: DeliveryListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await endpointOf(tx, endpointId);
        const page = await webhookDeliveryRepository.list(tx, endpointId, query);
        return { deliveries: page.rows.map(webhookDeliveryJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, endpointId: string, deliveryId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await endpointOf(tx, endpointId);
        const delivery = await webhookDeliveryRepository.find(tx, endpointId, deliveryId);
        if (!delivery) throw webhookDeliveryNotFound();
        const attempts = await webhookDeliveryRepository.attempts(tx, delivery);
        return { delivery: webhookDeliveryJson(delivery), attemptLog: attempts.map(webhookAttemptJson) };
      });
    },

    async redeliver(ctx: OrgContext, endpointId: string, deliveryId: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await endpointOf(tx, endpointId);
        const delivery = await webhookDeliveryRepository.find(tx, endpointId, deliveryId);
        if (!delivery) throw webhookDeliveryNotFound();
        const rescheduled = await webhookDeliveryRepository.reschedule(tx, endpointId, deliveryId);
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_delivery.redeliver',
          target: { type: 'webhook_delivery', id: deliveryId },
          details: { endpointId, eventId: delivery.event_id, eventType: delivery.event_type, statusBefore: delivery.status, attempts: delivery.attempts },
        });
        return webhookDeliveryJson(rescheduled);
      });
    },

    async redeliverFailed(ctx: OrgContext, endpointId: string, input: RedeliverFailedInput) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await endpointOf(tx, endpointId, true);
        const count = await webhookDeliveryRepository.rescheduleFailed(tx, endpointId, input.since);
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.redeliver_failed',
          target: { type: 'webhook_endpoint', id: endpointId },
          details: { since: input.since, count },
        });
        return { count };
      });
    },

    /** Every event of [since, until) the endpoint receives, delivered (again) to it; at most MAX_REPLAY. */
    async replay(ctx: OrgContext, endpointId: string, input: ReplayInput) {
      const until = input.until ?? new Date().toISOString();
      if (Date.parse(until) <= Date.parse(input.since)) throw new AppError('validation_failed', 'until: must be after since.');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const endpoint = await endpointOf(tx, endpointId, true);
        const matching = await webhookEventRepository.countMatching(tx, endpoint.event_types, input.since, until);
        if (matching > MAX_REPLAY) {
          throw new AppError(
            'webhook_replay_too_large',
            `The period holds ${matching} events for this endpoint; one replay schedules at most ${MAX_REPLAY}. Replay a shorter period, in several calls.`,
            { details: { events: matching, max: MAX_REPLAY } },
          );
        }
        const count = matching === 0 ? 0 : await webhookEventRepository.replay(tx, endpointId, endpoint.event_types, input.since, until);
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.replay',
          target: { type: 'webhook_endpoint', id: endpointId },
          details: { since: input.since, until, count },
        });
        return { count };
      });
    },
  };
}

export type WebhookLogService = ReturnType<typeof createWebhookLogService>;
