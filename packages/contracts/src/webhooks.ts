import { z } from 'zod';
import { DOMAIN_EVENT_TYPES, domainEventIdSchema, eventTypeMatches, eventTypePatternSchema } from './events.js';
import { dateTimeSchema } from './instants.js';
import { organizationIdSchema, userIdSchema } from './people.js';

/**
 * Webhook endpoints and their deliveries (docs/webhooks.md): an organization's HTTPS receivers of
 * domain events, signed per the Standard Webhooks specification, delivered at least once with retries,
 * and every attempt logged.
 */

export const webhookEndpointIdSchema = z.string().regex(/^whk_[0-9a-z]{26}$/, { message: 'must be a whk_… id' });
export const webhookDeliveryIdSchema = z.string().regex(/^whd_[0-9a-z]{26}$/, { message: 'must be a whd_… id' });
const timestamp = z.string().describe('RFC 3339 timestamp');
const instant = dateTimeSchema();

/**
 * A signing secret as the Standard Webhooks libraries take it: `whsec_` and the base64 of 24 to 64
 * random bytes. AIM makes one when none is given.
 */
export const webhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be whsec_ followed by base64' })
  .refine(
    (value) => {
      try {
        const bytes = atob(value.slice(6)).length;
        return bytes >= 24 && bytes <= 64;
      } catch {
        return false;
      }
    },
    { message: 'must hold 24 to 64 bytes (whsec_ and their base64)' },
  )
  .describe('whsec_ and the base64 of 24 to 64 random bytes');

/** A filter on event types that matches at least one type AIM sends. */
const subscribedType = eventTypePatternSchema.refine((pattern) => DOMAIN_EVENT_TYPES.some((type) => eventTypeMatches(pattern, type)), {
  message: 'matches no event type (see docs/events.md)',
});

export const webhookEventTypesSchema = z
  .array(subscribedType)
  .min(1, { message: 'name at least one event type, a prefix such as decision.*, or *' })
  .max(50)
  .describe('Exact event types (docs/events.md), prefixes such as decision.*, or * for every type');

const endpointUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(2048)
  .describe('Where events are POSTed. https (http only where the deployment allows private networks), no credentials, a public address');

const description = z.string().trim().max(500);

export const webhookEndpointSchema = z
  .object({
    id: webhookEndpointIdSchema,
    organizationId: organizationIdSchema,
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().describe('Why the endpoint is disabled: by a person, or by AIM after failing for days'),
    failingSince: timestamp.nullable().describe('The first failed attempt of the current unbroken run of failures; null when the last attempt succeeded'),
    secretRotatedAt: timestamp.nullable(),
    previousSecretExpiresAt: timestamp
      .nullable()
      .describe('While set and in the future, each delivery is signed with the new and the previous secret'),
    createdBy: userIdSchema.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpointJson = z.infer<typeof webhookEndpointSchema>;

export const webhookEndpointEnvelopeSchema = z.object({ webhookEndpoint: webhookEndpointSchema }).meta({ id: 'WebhookEndpointEnvelope' });

/** Returned once, when an endpoint is created and when its secret is rotated. */
export const webhookEndpointWithSecretSchema = z
  .object({
    webhookEndpoint: webhookEndpointSchema,
    secret: webhookSecretSchema.describe('The signing secret. Shown this once: store it now'),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });

export const createWebhookEndpointSchema = z
  .object({
    url: endpointUrl,
    description: description.optional(),
    eventTypes: webhookEventTypesSchema,
    enabled: z.boolean().optional().describe('Default true'),
    secret: webhookSecretSchema.optional().describe('Your own secret; AIM makes one when omitted'),
  })
  .meta({
    id: 'CreateWebhookEndpoint',
    examples: [{ url: 'https://hooks.example.com/aim', description: 'SOAR intake', eventTypes: ['decision.*', 'violation.recorded'] }],
  });

export const updateWebhookEndpointSchema = z
  .object({
    url: endpointUrl.optional(),
    description: description.nullable().optional(),
    eventTypes: webhookEventTypesSchema.optional(),
    enabled: z.boolean().optional().describe('Enabling again clears the failure run; deliveries due meanwhile are sent'),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'change at least one field' })
  .meta({ id: 'UpdateWebhookEndpoint', examples: [{ enabled: false }] });

export const rotateWebhookSecretSchema = z
  .object({
    secret: webhookSecretSchema.optional().describe('Your own new secret (it must differ from the current one); AIM makes one when omitted'),
    overlapSeconds: z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(86_400)
      .describe('How long deliveries are signed with the previous secret too (default one day, at most seven; 0 ends it now)'),
  })
  .meta({ id: 'RotateWebhookSecret', examples: [{ overlapSeconds: 3600 }] });

export const webhookEndpointParamsSchema = z.object({ endpointId: webhookEndpointIdSchema });

export const webhookEndpointListQuerySchema = z.object({
  enabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: webhookEndpointIdSchema.optional().describe('nextCursor of the previous page'),
});

export const webhookEndpointListSchema = z
  .object({
    webhookEndpoints: z.array(webhookEndpointSchema),
    nextCursor: webhookEndpointIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'WebhookEndpointList' });

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
export const webhookDeliveryStatusSchema = z.enum(WEBHOOK_DELIVERY_STATUSES).meta({
  id: 'WebhookDeliveryStatus',
  description:
    'pending: not tried yet; retrying: an attempt failed and another is scheduled; succeeded: a 2xx answer; failed: given up (about three days of retries, or the endpoint was disabled or deleted)',
});

/** Why an attempt failed, for machines; `error` says it for people. */
export const WEBHOOK_ATTEMPT_ERRORS = ['http_status', 'redirect', 'timeout', 'connection', 'tls', 'refused_address', 'response_too_large'] as const;

export const webhookAttemptSchema = z
  .object({
    attemptedAt: timestamp,
    statusCode: z.number().int().nullable().describe('The HTTP status answered; null when none was'),
    latencyMs: z.number().int().describe('From sending to the end of the (capped) answer'),
    responseExcerpt: z.string().nullable().describe('The first 1,000 characters of the answer body'),
    errorCode: z.enum(WEBHOOK_ATTEMPT_ERRORS).nullable().describe('null when the attempt succeeded'),
    error: z.string().nullable(),
  })
  .meta({ id: 'WebhookAttempt' });

export const webhookDeliverySchema = z
  .object({
    id: webhookDeliveryIdSchema,
    endpointId: webhookEndpointIdSchema,
    eventId: domainEventIdSchema.describe('The event id: the same on every attempt and redelivery (webhook-id), for idempotency'),
    eventType: z.string(),
    status: webhookDeliveryStatusSchema,
    attempts: z.number().int().describe('Attempts made so far'),
    nextAttemptAt: timestamp.nullable(),
    lastAttemptAt: timestamp.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDeliveryJson = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryDetailSchema = z
  .object({ delivery: webhookDeliverySchema, attemptLog: z.array(webhookAttemptSchema).describe('Every attempt, oldest first') })
  .meta({ id: 'WebhookDeliveryDetail' });

export const webhookDeliveryEnvelopeSchema = z.object({ delivery: webhookDeliverySchema }).meta({ id: 'WebhookDeliveryEnvelope' });

export const webhookDeliveryParamsSchema = z.object({ endpointId: webhookEndpointIdSchema, deliveryId: webhookDeliveryIdSchema });

export const webhookDeliveryListQuerySchema = z.object({
  status: webhookDeliveryStatusSchema.optional(),
  eventType: z.string().trim().min(1).max(100).optional(),
  eventId: domainEventIdSchema.optional(),
  since: instant.optional().describe('Created at or after'),
  until: instant.optional().describe('Created before'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: webhookDeliveryIdSchema.optional().describe('nextCursor of the previous page'),
});

export const webhookDeliveryListSchema = z
  .object({
    deliveries: z.array(webhookDeliverySchema).describe('Newest first'),
    nextCursor: webhookDeliveryIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'WebhookDeliveryList' });

export const redeliverFailedSchema = z
  .object({ since: instant.describe('Deliveries created at or after this that failed (or are retrying) go again now') })
  .meta({ id: 'RedeliverFailedWebhooks', examples: [{ since: '2026-12-07T00:00:00Z' }] });

export const replayWebhookEventsSchema = z
  .object({
    since: instant.describe('Events that occurred at or after this (within the retention of the event log)'),
    until: instant.optional().describe('…and before this (default now)'),
  })
  .meta({ id: 'ReplayWebhookEvents', examples: [{ since: '2026-12-07T00:00:00Z' }] });

export const webhookBulkResultSchema = z
  .object({ count: z.number().int().describe('Deliveries scheduled') })
  .meta({ id: 'WebhookBulkResult' });
