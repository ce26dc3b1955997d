import type { Database, Queryable } from '../../platform/db/database.js';
import type { DomainEvent, EventSubscription } from '../../platform/events/domain-events.js';
import { MATCHES } from './webhook-repository.js';

/**
 * The webhook fan-out: every domain event an organization records becomes a delivery to each of its
 * enabled endpoints whose event types match, scheduled as a row of webhook_deliveries (pending, due
 * now) that the delivery engine (delivery/) sends. It runs in the event dispatcher for every batch of
 * every organization, so it is cheap where there is nothing to do: one round trip, outside any
 * transaction, asks whether the organization has an endpoint at all. Otherwise one statement, in one
 * transaction of the organization, stores the batch in webhook_events (what replays and payloads read)
 * and inserts the deliveries, matching types in SQL. A batch delivered again (the dispatcher is at
 * least once) adds nothing: both inserts skip what exists.
 */
const FAN_OUT_SQL = `
with batch as (
  select * from jsonb_to_recordset($1::jsonb) as e(id text, type text, version integer, occurred_at timestamptz, data jsonb)
), stored as (
  insert into webhook_events (id, organization_id, type, version, occurred_at, data)
  select e.id, $2, e.type, e.version, e.occurred_at, e.data from batch e
  on conflict do nothing
)
insert into webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, event_occurred_at, status, next_attempt_at)
select aim_new_id('whd'), $2, w.id, e.id, e.type, e.occurred_at, 'pending', now()
  from batch e join webhook_endpoints w on w.organization_id = $2 and w.enabled and ${MATCHES('w.event_types')}
 order by e.occurred_at, e.id, w.id
on conflict (endpoint_id, event_id, event_occurred_at) do nothing`;

export interface FanOutResult {
  /** Deliveries scheduled. */
  scheduled: number;
}

/** Fan one organization's batch out to its endpoints; what was scheduled. */
export async function fanOut(deps: { db: Pick<Database, 'transaction'> & Queryable }, events: readonly DomainEvent[]): Promise<FanOutResult> {
  // webhook.test events are sent to one endpoint by the test operation; they never come this way.
  const batch = events.filter((e) => e.type !== 'webhook.test');
  if (batch.length === 0) return { scheduled: 0 };
  const organizationId = batch[0]!.organizationId;
  const { rows } = await deps.db.query<{ has: boolean }>('select aim_has_webhook_endpoints($1) as has', [organizationId], { name: 'aim.webhooks.has-endpoints' });
  if (!rows[0]?.has) return { scheduled: 0 };
  const json = JSON.stringify(batch.map((e) => ({ id: e.id, type: e.type, version: e.version, occurred_at: e.occurredAt, data: e.data })));
  return deps.db.transaction({ organizationId }, async (tx) => {
    const result = await tx.query(FAN_OUT_SQL, [json, organizationId], { name: 'aim.webhooks.fan-out' });
    return { scheduled: result.rowCount ?? 0 };
  });
}

/** The subscription (Feature.subscriptions): every type, a batch at a time. */
export function webhookFanOutSubscription(deps: { db: Pick<Database, 'transaction'> & Queryable; scheduled?: (organizationId: string, count: number) => void }): EventSubscription {
  return {
    name: 'webhooks.fan-out',
    types: ['*'],
    async handleBatch(events) {
      const { scheduled } = await fanOut(deps, events);
      if (scheduled > 0) deps.scheduled?.(events[0]!.organizationId, scheduled);
    },
  };
}
