import {
  createWebhookEndpointSchema,
  errorEnvelopeSchema,
  redeliverFailedSchema,
  replayWebhookEventsSchema,
  rotateWebhookSecretSchema,
  updateWebhookEndpointSchema,
  webhookBulkResultSchema,
  webhookDeliveryDetailSchema,
  webhookDeliveryEnvelopeSchema,
  webhookDeliveryListQuerySchema,
  webhookDeliveryListSchema,
  webhookDeliveryParamsSchema,
  webhookEndpointEnvelopeSchema,
  webhookEndpointListQuerySchema,
  webhookEndpointListSchema,
  webhookEndpointParamsSchema,
  webhookEndpointWithSecretSchema,
} from '@aim/contracts';
import { z } from 'zod';
import type { EventSubscription } from '../../platform/events/domain-events.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import { MAX_REPLAY, type WebhookLogService } from './webhook-log-service.js';
import { MAX_WEBHOOK_ENDPOINTS, type WebhookService } from './webhook-service.js';

export interface WebhookFeatureDeps {
  webhooks: WebhookService;
  deliveries: WebhookLogService;
  /** The fan-out of domain events to endpoints (webhook-fan-out.ts), and the delivery engine's subscriptions if any. */
  subscriptions: readonly EventSubscription[];
  jobs: readonly FeatureJob[];
  stop?: () => Promise<void>;
}

const tag = 'webhooks';
const read = { auth: 'org', permission: 'webhook.read' } as const;
const manage = { auth: 'org', permission: 'webhook.manage' } as const;
const base = '/api/v1/webhook-endpoints';

/** Webhook endpoints (docs/webhooks.md): the endpoints, their secrets, the delivery log and its tools. */
export function webhookFeature(deps: WebhookFeatureDeps): Feature {
  const { webhooks, deliveries } = deps;
  return {
    name: 'webhooks',
    subscriptions: deps.subscriptions,
    jobs: deps.jobs,
    ...(deps.stop ? { stop: deps.stop } : {}),
    operations: [
      defineOperation({
        method: 'POST',
        path: base,
        tag,
        summary: 'Add a webhook endpoint (its signing secret is returned this once)',
        description: `The URL passes the outbound guard and its host name is resolved now: https only (http only where the deployment allows private networks and AIM itself is not served over https), no credentials, every address public (webhook_url_refused otherwise). At most ${MAX_WEBHOOK_ENDPOINTS} endpoints per organization (webhook_endpoint_limit).`,
        access: manage,
        body: createWebhookEndpointSchema,
        responses: { 201: webhookEndpointWithSecretSchema, 409: errorEnvelopeSchema },
        status: 201,
        handle: ({ ctx, body }) => webhooks.create(ctx, body),
      }),
      defineOperation({
        method: 'GET',
        path: base,
        tag,
        summary: 'Webhook endpoints, newest first (keyset pagination)',
        access: read,
        query: webhookEndpointListQuerySchema,
        responses: { 200: webhookEndpointListSchema },
        handle: ({ ctx, query }) => webhooks.list(ctx, query),
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/:endpointId`,
        tag,
        summary: 'A webhook endpoint (never its secret)',
        access: read,
        params: webhookEndpointParamsSchema,
        responses: { 200: webhookEndpointEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ webhookEndpoint: await webhooks.get(ctx, params.endpointId) }),
      }),
      defineOperation({
        method: 'PATCH',
        path: `${base}/:endpointId`,
        tag,
        summary: 'Change a webhook endpoint: URL, description, event types, enabled',
        description:
          'Disabling stops its deliveries (what is due waits; new events are not scheduled for it). Enabling clears the reason and the failure run; deliveries due meanwhile are sent.',
        access: manage,
        params: webhookEndpointParamsSchema,
        body: updateWebhookEndpointSchema,
        responses: { 200: webhookEndpointEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ webhookEndpoint: await webhooks.update(ctx, params.endpointId, body) }),
      }),
      defineOperation({
        method: 'DELETE',
        path: `${base}/:endpointId`,
        tag,
        summary: 'Delete a webhook endpoint and its delivery log (legal_hold_active while the organization is on legal hold)',
        access: manage,
        params: webhookEndpointParamsSchema,
        responses: { 204: z.null().describe('No content'), 409: errorEnvelopeSchema },
        status: 204,
        handle: async ({ ctx, params }) => {
          await webhooks.remove(ctx, params.endpointId);
          return null;
        },
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/:endpointId/rotate-secret`,
        tag,
        summary: 'Rotate the signing secret (the new one is returned this once)',
        description:
          'During the overlap every delivery is signed with the new and the previous secret; a rotation during an overlap replaces the previous secret with the one current until then. A given secret must differ from the current one (webhook_secret_reused).',
        access: manage,
        params: webhookEndpointParamsSchema,
        body: rotateWebhookSecretSchema,
        responses: { 200: webhookEndpointWithSecretSchema },
        handle: ({ ctx, params, body }) => webhooks.rotateSecret(ctx, params.endpointId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/:endpointId/test`,
        tag,
        summary: 'Send a webhook.test event to this endpoint alone',
        description: 'Scheduled now like any delivery; follow it in the delivery log. A disabled endpoint answers webhook_endpoint_disabled.',
        access: manage,
        params: webhookEndpointParamsSchema,
        responses: { 202: webhookDeliveryEnvelopeSchema, 409: errorEnvelopeSchema },
        status: 202,
        handle: async ({ ctx, params }) => ({ delivery: await webhooks.sendTest(ctx, params.endpointId) }),
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/:endpointId/deliveries`,
        tag,
        summary: 'The deliveries of an endpoint, newest first, with filters (keyset pagination)',
        access: read,
        params: webhookEndpointParamsSchema,
        query: webhookDeliveryListQuerySchema,
        responses: { 200: webhookDeliveryListSchema },
        handle: ({ ctx, params, query }) => deliveries.list(ctx, params.endpointId, query),
      }),
      defineOperation({
        method: 'GET',
        path: `${base}/:endpointId/deliveries/:deliveryId`,
        tag,
        summary: 'A delivery and every attempt of it, oldest first',
        access: read,
        params: webhookDeliveryParamsSchema,
        responses: { 200: webhookDeliveryDetailSchema },
        handle: ({ ctx, params }) => deliveries.get(ctx, params.endpointId, params.deliveryId),
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/:endpointId/deliveries/:deliveryId/redeliver`,
        tag,
        summary: 'Deliver again now (same webhook-id; its attempts are kept)',
        access: manage,
        params: webhookDeliveryParamsSchema,
        responses: { 202: webhookDeliveryEnvelopeSchema },
        status: 202,
        handle: async ({ ctx, params }) => ({ delivery: await deliveries.redeliver(ctx, params.endpointId, params.deliveryId) }),
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/:endpointId/redeliver-failed`,
        tag,
        summary: 'Deliver again now every delivery created since a time that failed or is retrying',
        access: manage,
        params: webhookEndpointParamsSchema,
        body: redeliverFailedSchema,
        responses: { 202: webhookBulkResultSchema },
        status: 202,
        handle: ({ ctx, params, body }) => deliveries.redeliverFailed(ctx, params.endpointId, body),
      }),
      defineOperation({
        method: 'POST',
        path: `${base}/:endpointId/replay`,
        tag,
        summary: 'Deliver every event of a period the endpoint receives, again or for the first time',
        description: `Events of the organization recorded while it had an endpoint, within the retention (WEBHOOK_RETENTION_DAYS). Each event keeps its id (webhook-id). One call schedules at most ${MAX_REPLAY.toLocaleString('en')} deliveries; a longer period answers webhook_replay_too_large and schedules nothing.`,
        access: manage,
        params: webhookEndpointParamsSchema,
        body: replayWebhookEventsSchema,
        responses: { 202: webhookBulkResultSchema },
        status: 202,
        handle: ({ ctx, params, body }) => deliveries.replay(ctx, params.endpointId, body),
      }),
    ],
  };
}
