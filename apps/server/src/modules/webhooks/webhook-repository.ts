import type { WebhookDeliveryJson, WebhookDeliveryStatus, WebhookEndpointJson } from '@aim/contracts';
import { orgOf, type Tx } from '../../platform/db/database.js';

/** Webhook endpoints of the transaction's organization (migration 0015). */
export interface WebhookEndpointRow {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  secret_rotated_at: Date | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  created_by_type: 'user' | 'api_key';
  created_by_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookDeliveryRow {
  id: string;
  organization_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  event_occurred_at: Date;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  lease_until: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
}

export interface WebhookAttemptRow {
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string | null;
  error_code: string | null;
  error: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const webhookEndpointJson = (row: WebhookEndpointRow): WebhookEndpointJson => ({
  id: row.id,
  organizationId: row.organization_id,
  url: row.url,
  description: row.description,
  eventTypes: row.event_types,
  enabled: row.enabled,
  disabledReason: row.disabled_reason,
  failingSince: iso(row.failing_since),
  secretRotatedAt: iso(row.secret_rotated_at),
  previousSecretExpiresAt: iso(row.previous_secret_expires_at),
  createdBy: row.created_by_id.startsWith('usr_') ? row.created_by_id : null,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export const webhookDeliveryJson = (row: WebhookDeliveryRow): WebhookDeliveryJson => ({
  id: row.id,
  endpointId: row.endpoint_id,
  eventId: row.event_id,
  eventType: row.event_type,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: iso(row.next_attempt_at),
  lastAttemptAt: iso(row.last_attempt_at),
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  createdAt: row.created_at.toISOString(),
});

export const webhookAttemptJson = (row: WebhookAttemptRow) => ({
  attemptedAt: row.attempted_at.toISOString(),
  statusCode: row.status_code,
  latencyMs: row.latency_ms,
  responseExcerpt: row.response_excerpt,
  errorCode: row.error_code as never,
  error: row.error,
});

export interface NewWebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  secretCiphertext: string;
  createdByType: 'user' | 'api_key';
  createdById: string;
}

/** Who made the endpoint; a person disabled or enabled it. */
export const DISABLED_BY_A_PERSON = 'Disabled by a person';

export const webhookEndpointRepository = {
  async insert(tx: Tx, e: NewWebhookEndpoint): Promise<WebhookEndpointRow> {
    const { rows } = await tx.query<WebhookEndpointRow>(
      `insert into webhook_endpoints (id, organization_id, url, description, event_types, enabled, disabled_reason, secret_ciphertext, created_by_type, created_by_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
      [e.id, orgOf(tx), e.url, e.description, e.eventTypes, e.enabled, e.enabled ? null : DISABLED_BY_A_PERSON, e.secretCiphertext, e.createdByType, e.createdById],
    );
    return rows[0]!;
  },

  /** How many endpoints the organization has, once no other creation of it is under way (the limit). */
  async countLocked(tx: Tx): Promise<number> {
    await tx.query(`select pg_advisory_xact_lock(hashtext('webhook_endpoints:' || $1))`, [orgOf(tx)]);
    const { rows } = await tx.query<{ n: number }>('select count(*)::int as n from webhook_endpoints where organization_id = $1', [orgOf(tx)]);
    return rows[0]!.n;
  },

  async find(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<WebhookEndpointRow | null> {
    const { rows } = await tx.query<WebhookEndpointRow>(
      `select * from webhook_endpoints where organization_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
      [orgOf(tx), id],
    );
    return rows[0] ?? null;
  },

  /** `changes` maps column names (chosen by the service, never by a client) to values. */
  async update(tx: Tx, id: string, changes: Record<string, unknown>): Promise<WebhookEndpointRow> {
    const columns = Object.keys(changes);
    const assignments = columns.map((column, i) => `${column} = $${i + 3}`).join(', ');
    const { rows } = await tx.query<WebhookEndpointRow>(
      `update webhook_endpoints set ${assignments}, updated_at = now() where organization_id = $1 and id = $2 returning *`,
      [orgOf(tx), id, ...columns.map((c) => changes[c])],
    );
    return rows[0]!;
  },

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.query('delete from webhook_endpoints where organization_id = $1 and id = $2', [orgOf(tx), id]);
  },

  async list(tx: Tx, filter: { enabled?: boolean | undefined; cursor?: string | undefined; limit: number }) {
    const { rows } = await tx.query<WebhookEndpointRow>(
      `select * from webhook_endpoints
        where organization_id = $1 and ($2::boolean is null or enabled = $2) and ($3::text is null or id < $3)
        order by id desc limit $4`,
      [orgOf(tx), filter.enabled ?? null, filter.cursor ?? null, filter.limit + 1],
    );
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },
};

export interface DeliveryFilter {
  status?: WebhookDeliveryStatus | undefined;
  eventType?: string | undefined;
  eventId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Back to pending, due now, unclaimed: what a redelivery or a replay does to a delivery (its attempts are kept). */
const RESCHEDULE = `status = 'pending', next_attempt_at = now(), lease_until = null`;

export const webhookDeliveryRepository = {
  async list(tx: Tx, endpointId: string, f: DeliveryFilter) {
    const { rows } = await tx.query<WebhookDeliveryRow>(
      `select * from webhook_deliveries
        where organization_id = $1 and endpoint_id = $2
          and ($3::text is null or status = $3) and ($4::text is null or event_type = $4) and ($5::text is null or event_id = $5)
          and ($6::timestamptz is null or created_at >= $6) and ($7::timestamptz is null or created_at < $7)
          and ($8::text is null or id < $8)
        order by id desc limit $9`,
      [orgOf(tx), endpointId, f.status ?? null, f.eventType ?? null, f.eventId ?? null, f.since ?? null, f.until ?? null, f.cursor ?? null, f.limit + 1],
    );
    const more = rows.length > f.limit;
    const page = more ? rows.slice(0, f.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },

  async find(tx: Tx, endpointId: string, id: string): Promise<WebhookDeliveryRow | null> {
    const { rows } = await tx.query<WebhookDeliveryRow>('select * from webhook_deliveries where organization_id = $1 and endpoint_id = $2 and id = $3', [
      orgOf(tx),
      endpointId,
      id,
    ]);
    return rows[0] ?? null;
  },

  async attempts(tx: Tx, delivery: WebhookDeliveryRow): Promise<WebhookAttemptRow[]> {
    const { rows } = await tx.query<WebhookAttemptRow>(
      `select attempted_at, status_code, latency_ms, response_excerpt, error_code, error from webhook_attempts
        where organization_id = $1 and delivery_id = $2 and attempted_at >= $3::timestamptz - interval '1 hour' order by attempted_at`,
      // No attempt precedes its event (the bound lets PostgreSQL skip older months; the hour absorbs clock skew).
      [orgOf(tx), delivery.id, delivery.event_occurred_at],
    );
    return rows;
  },

  async reschedule(tx: Tx, endpointId: string, id: string): Promise<WebhookDeliveryRow> {
    const { rows } = await tx.query<WebhookDeliveryRow>(
      `update webhook_deliveries set ${RESCHEDULE} where organization_id = $1 and endpoint_id = $2 and id = $3 returning *`,
      [orgOf(tx), endpointId, id],
    );
    return rows[0]!;
  },

  /** Every failed or retrying delivery of the endpoint created at or after `since`, due again now; how many. */
  async rescheduleFailed(tx: Tx, endpointId: string, since: string): Promise<number> {
    const { rowCount } = await tx.query(
      `update webhook_deliveries set ${RESCHEDULE}
        where organization_id = $1 and endpoint_id = $2 and status in ('failed', 'retrying') and created_at >= $3`,
      [orgOf(tx), endpointId, since],
    );
    return rowCount ?? 0;
  },

  /** A delivery of one event to one endpoint, due now (a test event). */
  async insertOne(tx: Tx, d: { id: string; endpointId: string; eventId: string; eventType: string; occurredAt: string }): Promise<WebhookDeliveryRow> {
    const { rows } = await tx.query<WebhookDeliveryRow>(
      `insert into webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, event_occurred_at, status, next_attempt_at)
       values ($1, $2, $3, $4, $5, $6, 'pending', now()) returning *`,
      [d.id, orgOf(tx), d.endpointId, d.eventId, d.eventType, d.occurredAt],
    );
    return rows[0]!;
  },
};

/** The events offered to the organization's endpoints (the log replays read). */
export const webhookEventRepository = {
  async insert(tx: Tx, e: { id: string; type: string; version: number; occurredAt: string; data: unknown }): Promise<void> {
    await tx.query(`insert into webhook_events (id, organization_id, type, version, occurred_at, data) values ($1, $2, $3, $4, $5, $6)`, [
      e.id,
      orgOf(tx),
      e.type,
      e.version,
      e.occurredAt,
      JSON.stringify(e.data),
    ]);
  },

  /** How many events in [since, until) the endpoint's types match (the replay's bound). */
  async countMatching(tx: Tx, eventTypes: string[], since: string, until: string): Promise<number> {
    const { rows } = await tx.query<{ n: number }>(
      `select count(*)::int as n from webhook_events e
        where e.organization_id = $1 and e.occurred_at >= $2 and e.occurred_at < $3 and e.type <> 'webhook.test' and ${MATCHES('$4')}`,
      [orgOf(tx), since, until, eventTypes],
    );
    return rows[0]!.n;
  },

  /** A delivery of every such event to the endpoint, new or rescheduled; how many. */
  async replay(tx: Tx, endpointId: string, eventTypes: string[], since: string, until: string): Promise<number> {
    const { rowCount } = await tx.query(
      `insert into webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, event_occurred_at, status, next_attempt_at)
       select aim_new_id('whd'), e.organization_id, $4, e.id, e.type, e.occurred_at, 'pending', now()
         from webhook_events e
        where e.organization_id = $1 and e.occurred_at >= $2 and e.occurred_at < $3 and e.type <> 'webhook.test' and ${MATCHES('$5')}
       on conflict (endpoint_id, event_id, event_occurred_at) do update set ${RESCHEDULE}`,
      [orgOf(tx), since, until, endpointId, eventTypes],
    );
    return rowCount ?? 0;
  },
};

/**
 * Whether event `e`'s type is one of the endpoint types in `types` (a text[] expression): exactly, by
 * its prefix (`decision.*`), or by `*` — eventTypeMatches of the contract, in SQL.
 */
export const MATCHES = (types: string) => `(e.type = any(${types}) or '*' = any(${types}) or split_part(e.type, '.', 1) || '.*' = any(${types}))`;
