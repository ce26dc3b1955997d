import {
  DOMAIN_EVENT_TYPES,
  type WebhookDeliveryJson,
  type WebhookDeliveryStatus,
  type WebhookEndpointJson,
  type createWebhookEndpointSchema,
  type updateWebhookEndpointSchema,
  type webhookAttemptSchema,
} from '@aim/contracts';
import type { z } from 'zod';
import { request } from '@/api/client';

/**
 * The webhook operations (docs/webhooks.md), typed by their contract in `@aim/contracts`. They go
 * through `request` because they were written before docs/openapi.json described them; moving them to
 * the typed `api` client like the rest is still to do.
 */
export type Endpoint = WebhookEndpointJson;
export type Delivery = WebhookDeliveryJson;
export type Attempt = z.infer<typeof webhookAttemptSchema>;
export type { WebhookDeliveryStatus };

interface WithSecret {
  webhookEndpoint: Endpoint;
  secret: string;
}

const base = '/api/v1/webhook-endpoints';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;
const qs = (query: Record<string, string | number | undefined>) => {
  const entries = Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
};

export const webhooks = {
  list: (query: { enabled?: 'true' | 'false'; limit?: number; cursor?: string }) =>
    request<{ webhookEndpoints: Endpoint[]; nextCursor: string | null }>('GET', `${base}${qs(query)}`),
  get: (id: string) => request<{ webhookEndpoint: Endpoint }>('GET', one(id)),
  create: (body: z.output<typeof createWebhookEndpointSchema>) => request<WithSecret>('POST', base, body),
  update: (id: string, body: z.output<typeof updateWebhookEndpointSchema>) => request<{ webhookEndpoint: Endpoint }>('PATCH', one(id), body),
  remove: (id: string) => request<null>('DELETE', one(id)),
  rotateSecret: (id: string, overlapSeconds: number) => request<WithSecret>('POST', `${one(id)}/rotate-secret`, { overlapSeconds }),
  test: (id: string) => request<{ delivery: Delivery }>('POST', `${one(id)}/test`, {}),
  deliveries: (id: string, query: { status?: WebhookDeliveryStatus; eventType?: string; limit?: number; cursor?: string }) =>
    request<{ deliveries: Delivery[]; nextCursor: string | null }>('GET', `${one(id)}/deliveries${qs(query)}`),
  delivery: (id: string, deliveryId: string) =>
    request<{ delivery: Delivery; attemptLog: Attempt[] }>('GET', `${one(id)}/deliveries/${encodeURIComponent(deliveryId)}`),
  redeliver: (id: string, deliveryId: string) =>
    request<{ delivery: Delivery }>('POST', `${one(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, {}),
  redeliverFailed: (id: string, since: string) => request<{ count: number }>('POST', `${one(id)}/redeliver-failed`, { since }),
  replay: (id: string, since: string, until?: string) =>
    request<{ count: number }>('POST', `${one(id)}/replay`, until ? { since, until } : { since }),
};

/** The event types grouped by their first word (decision, trust, …), for the picker and the docs' prefixes. */
export const EVENT_GROUPS: { prefix: string; types: string[] }[] = (() => {
  const groups = new Map<string, string[]>();
  for (const type of DOMAIN_EVENT_TYPES) {
    const prefix = type.split('.')[0]!;
    groups.set(prefix, [...(groups.get(prefix) ?? []), type]);
  }
  return [...groups].map(([prefix, types]) => ({ prefix, types }));
})();

/** A datetime-local value (the browser's time) as the RFC 3339 instant the API takes; null when empty or invalid. */
export function instantOf(local: string): string | null {
  if (!local) return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An instant as a datetime-local value in the browser's time (minutes). */
export function localInputOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
