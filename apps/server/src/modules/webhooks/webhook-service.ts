import { randomBytes } from 'node:crypto';
import {
  DOMAIN_EVENT_VERSIONS,
  type createWebhookEndpointSchema,
  type rotateWebhookSecretSchema,
  type updateWebhookEndpointSchema,
  type webhookEndpointListQuerySchema,
} from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { onLegalHold } from '../../platform/db/legal-hold.js';
import { AppError } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { newId } from '../../platform/ids.js';
import {
  DISABLED_BY_A_PERSON,
  webhookDeliveryJson,
  webhookDeliveryRepository,
  webhookEndpointJson,
  webhookEndpointRepository,
  webhookEventRepository,
  type WebhookEndpointRow,
} from './webhook-repository.js';
import { checkWebhookUrl, urlForAudit, type WebhookUrlPolicy } from './webhook-url.js';

/**
 * An organization's webhook endpoints: creation (the signing secret shown once), reading, changes,
 * deletion, secret rotation and the test event. Every change commits with its audit event; secrets
 * are stored encrypted with the keyring, bound to their row and column, and never audited.
 */
export type CreateInput = z.output<typeof createWebhookEndpointSchema>;
export type UpdateInput = z.output<typeof updateWebhookEndpointSchema>;
export type RotateInput = z.output<typeof rotateWebhookSecretSchema>;
export type ListQuery = z.output<typeof webhookEndpointListQuerySchema>;

/** Endpoints per organization. */
export const MAX_WEBHOOK_ENDPOINTS = 50;

/** The additional data binding each stored secret to its row and column (the delivery engine decrypts with the same). */
export const secretAad = (endpointId: string) => `webhook_endpoints.secret:${endpointId}`;
export const previousSecretAad = (endpointId: string) => `webhook_endpoints.previous_secret:${endpointId}`;

/** A fresh signing secret: `whsec_` and the base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export const webhookEndpointNotFound = () =>
  new AppError('webhook_endpoint_not_found', 'The webhook endpoint was not found (it was deleted, or the id is of another organization).');

export function createWebhookService(deps: { db: Database; keyring: Keyring; urls: WebhookUrlPolicy }) {
  const { db, keyring } = deps;

  async function load(tx: Tx, id: string, forUpdate = false): Promise<WebhookEndpointRow> {
    const endpoint = await webhookEndpointRepository.find(tx, id, { forUpdate });
    if (!endpoint) throw webhookEndpointNotFound();
    return endpoint;
  }

  const uniqueTypes = (types: string[]) => [...new Set(types)];

  return {
    async create(ctx: OrgContext, input: CreateInput) {
      const url = await checkWebhookUrl(input.url, deps.urls);
      const secret = input.secret ?? newWebhookSecret();
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        if ((await webhookEndpointRepository.countLocked(tx)) >= MAX_WEBHOOK_ENDPOINTS) {
          throw new AppError('webhook_endpoint_limit', `The organization has ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints, the most allowed; delete one first.`);
        }
        const id = newId('whk');
        const enabled = input.enabled ?? true;
        const endpoint = await webhookEndpointRepository.insert(tx, {
          id,
          url,
          description: input.description || null,
          eventTypes: uniqueTypes(input.eventTypes),
          enabled,
          secretCiphertext: keyring.encrypt(secret, secretAad(id)),
          createdByType: ctx.actor.type === 'api_key' ? 'api_key' : 'user',
          createdById: ctx.personId ?? ctx.actor.id ?? 'unknown',
        });
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.create',
          target: { type: 'webhook_endpoint', id },
          details: { url: urlForAudit(url), eventTypes: endpoint.event_types, enabled, suppliedByCaller: input.secret !== undefined },
        });
        return { webhookEndpoint: webhookEndpointJson(endpoint), secret };
      });
    },

    async list(ctx: OrgContext, query: ListQuery) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const page = await webhookEndpointRepository.list(tx, query);
        return { webhookEndpoints: page.rows.map(webhookEndpointJson), nextCursor: page.nextCursor };
      });
    },

    async get(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => webhookEndpointJson(await load(tx, id)));
    },

    async update(ctx: OrgContext, id: string, input: UpdateInput) {
      const url = input.url === undefined ? undefined : await checkWebhookUrl(input.url, deps.urls);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const endpoint = await load(tx, id, true);
        const changes: Record<string, unknown> = {};
        if (url !== undefined && url !== endpoint.url) changes.url = url;
        if (input.description !== undefined && (input.description || null) !== endpoint.description) changes.description = input.description || null;
        if (input.eventTypes !== undefined) {
          const types = uniqueTypes(input.eventTypes);
          if (JSON.stringify(types) !== JSON.stringify(endpoint.event_types)) changes.event_types = types;
        }
        if (input.enabled !== undefined && input.enabled !== endpoint.enabled) {
          changes.enabled = input.enabled;
          // Enabling starts a new record: the failure run that may have disabled it is over.
          Object.assign(changes, input.enabled ? { disabled_reason: null, failing_since: null } : { disabled_reason: DISABLED_BY_A_PERSON });
        }
        if (Object.keys(changes).length === 0) return webhookEndpointJson(endpoint);
        const updated = await webhookEndpointRepository.update(tx, id, changes);
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.update',
          target: { type: 'webhook_endpoint', id },
          details: {
            changed: Object.keys(changes).filter((c) => c !== 'disabled_reason' && c !== 'failing_since'),
            ...(changes.url ? { url: { from: urlForAudit(endpoint.url), to: urlForAudit(url!) } } : {}),
            ...(changes.event_types ? { eventTypes: { from: endpoint.event_types, to: changes.event_types } } : {}),
            ...(changes.enabled !== undefined ? { enabled: { from: endpoint.enabled, to: changes.enabled }, disabledReasonBefore: endpoint.disabled_reason } : {}),
          },
        });
        return webhookEndpointJson(updated);
      });
    },

    async remove(ctx: OrgContext, id: string): Promise<void> {
      await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const endpoint = await load(tx, id, true);
        // Its delivery log goes with it: not while the organization is on legal hold.
        if (await onLegalHold(tx, ctx.organizationId)) {
          throw new AppError('legal_hold_active', 'The organization is on legal hold: deleting the endpoint would delete its delivery log. Disable it instead.');
        }
        await webhookEndpointRepository.delete(tx, id);
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.delete',
          target: { type: 'webhook_endpoint', id },
          details: { url: urlForAudit(endpoint.url), eventTypes: endpoint.event_types },
        });
      });
    },

    /**
     * A new signing secret; the current one signs too until the overlap ends (none with overlap 0). A
     * rotation during an overlap replaces the previous secret with the then-current one.
     */
    async rotateSecret(ctx: OrgContext, id: string, input: RotateInput) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const endpoint = await load(tx, id, true);
        const current = keyring.decrypt(endpoint.secret_ciphertext, secretAad(id));
        if (input.secret !== undefined && input.secret === current) {
          throw new AppError('webhook_secret_reused', 'secret: this is the current signing secret; give a different one, or none and AIM makes one.');
        }
        const secret = input.secret ?? newWebhookSecret();
        const overlap = input.overlapSeconds;
        const { rows } = await tx.query<{ expires: Date | null }>(`select case when $1::int > 0 then now() + make_interval(secs => $1::int) end as expires`, [overlap]);
        const expires = rows[0]!.expires;
        const updated = await webhookEndpointRepository.update(tx, id, {
          secret_ciphertext: keyring.encrypt(secret, secretAad(id)),
          previous_secret_ciphertext: expires ? keyring.encrypt(current, previousSecretAad(id)) : null,
          previous_secret_expires_at: expires,
          secret_rotated_at: new Date(),
        });
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.rotate_secret',
          target: { type: 'webhook_endpoint', id },
          details: { overlapSeconds: overlap, previousValidUntil: expires?.toISOString() ?? null, suppliedByCaller: input.secret !== undefined },
        });
        return { webhookEndpoint: webhookEndpointJson(updated), secret };
      });
    },

    /**
     * A `webhook.test` event for this endpoint alone: written to the endpoint's event log and scheduled
     * as a delivery, never through the outbox (no subscription, no other endpoint sees it).
     */
    async sendTest(ctx: OrgContext, id: string) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const endpoint = await load(tx, id, true);
        if (!endpoint.enabled) {
          throw new AppError('webhook_endpoint_disabled', 'The webhook endpoint is disabled; enable it (PATCH enabled: true) before sending a test event.');
        }
        const event = {
          id: newId('dev'),
          type: 'webhook.test' as const,
          version: DOMAIN_EVENT_VERSIONS['webhook.test'],
          occurredAt: new Date().toISOString(),
          data: { endpointId: id, message: 'A test event from AIM: your endpoint receives and verifies webhooks.' },
        };
        await webhookEventRepository.insert(tx, event);
        const delivery = await webhookDeliveryRepository.insertOne(tx, {
          id: newId('whd'),
          endpointId: id,
          eventId: event.id,
          eventType: event.type,
          occurredAt: event.occurredAt,
        });
        await recordAuditEvent(tx, ctx, {
          action: 'webhook_endpoint.test',
          target: { type: 'webhook_endpoint', id },
          details: { eventId: event.id, deliveryId: delivery.id },
        });
        return webhookDeliveryJson(delivery);
      });
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
