import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { idTime, isId, newId } from '../../platform/ids.js';
import type { DomainEvent } from '../../platform/events/domain-events.js';

const PUBLIC = 'https://1.1.1.1/hooks/aim';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

forEachTarget('webhook fan-out and delivery log', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  const batches: DomainEvent[][] = [];
  let failOnce: string | null = null;
  before(async () => {
    // Scheduling is what these tests check: the delivery worker holds every delivery (WEBHOOK_DELIVERY_PAUSED).
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000', WEBHOOK_DELIVERY_PAUSED: 'true' } });
    a = await seedOrganization(t, 'A');
    // After the features' subscriptions: a throw here makes the dispatcher deliver the whole batch again, fan-out included.
    t.platform.domainEvents.subscribe({
      name: 'test.batches',
      types: ['trust.*'],
      async handleBatch(events) {
        batches.push([...events]);
        if (events.some((e) => e.id === failOnce)) {
          failOnce = null;
          throw new Error('a later subscription failing once');
        }
      },
    });
  });
  after(() => t?.close());

  const send = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown, headers = a.as.admin.apiKey) =>
    t.app.inject({
      method,
      url,
      headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const endpoint = async (eventTypes: string[], enabled = true, org = a) => {
    const res = await send('POST', '/api/v1/webhook-endpoints', { url: PUBLIC, eventTypes, enabled }, org.as.admin.apiKey);
    assert.equal(res.statusCode, 201, res.body);
    return res.json().webhookEndpoint.id as string;
  };
  const record = async (organizationId: string, n: number) => {
    const agentId = newId('agt');
    const events = await t.platform.db.transaction({ organizationId }, async (tx) => {
      const out: DomainEvent[] = [];
      for (let i = 0; i < n; i++) out.push(await t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'rating' }));
      return out;
    });
    await t.platform.domainEvents.drain();
    return events;
  };
  const q = async (sql: string, params: unknown[] = []) => (await (await t.owner()).query(sql, params)).rows;
  const deliveriesOf = (eventIds: string[]) =>
    q('select endpoint_id, event_id, status, attempts, next_attempt_at, lease_until from webhook_deliveries where event_id = any($1) order by endpoint_id, event_id', [eventIds]);

  it('schedules one delivery per matching enabled endpoint and event, none for disabled or other types, and stores the events', async () => {
    const prefix = await endpoint(['trust.*']);
    const exact = await endpoint(['trust.evidence', 'decision.created']);
    const everything = await endpoint(['*']);
    const other = await endpoint(['decision.*']);
    const disabled = await endpoint(['*'], false);
    const events = await record(a.organizationId, 3);
    const ids = events.map((e) => e.id);
    const rows = await deliveriesOf(ids);
    const pairs = rows.map((r) => `${r.endpoint_id} ${r.event_id}`).sort();
    assert.deepEqual(pairs, [prefix, exact, everything].flatMap((endpointId) => ids.map((id) => `${endpointId} ${id}`)).sort());
    assert.ok(!rows.some((r) => r.endpoint_id === other || r.endpoint_id === disabled));
    for (const r of rows) {
      assert.equal(r.status, 'pending');
      assert.equal(r.attempts, 0);
      assert.ok(r.next_attempt_at instanceof Date && Math.abs(r.next_attempt_at.getTime() - Date.now()) < 60_000, 'due now');
      assert.equal(r.lease_until, null);
    }
    const stored = await q('select id, organization_id, type, version, occurred_at, data from webhook_events where id = any($1) order by id', [ids]);
    assert.deepEqual(
      stored.map((e) => ({ id: e.id, organizationId: e.organization_id, type: e.type, version: e.version, occurredAt: e.occurred_at.toISOString(), data: e.data })),
      [...events].sort((x, y) => x.id.localeCompare(y.id)),
      'each event stored as delivered (the contract’s JSON)',
    );
    const deliveryIds = await q('select id from webhook_deliveries where event_id = any($1)', [ids]);
    assert.ok(deliveryIds.every((r) => /^whd_[0-9a-hjkmnp-tv-z]{26}$/.test(r.id)), 'delivery ids of AIM’s format');
  });

  it('adds nothing when the dispatcher delivers a batch again', async () => {
    const events = await t.platform.db.transaction({ organizationId: a.organizationId }, async (tx) => {
      const agentId = newId('agt');
      const first = await t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'incident' });
      failOnce = first.id;
      return [first, await t.platform.domainEvents.record(tx, 'trust.evidence', { agentId, kind: 'rating' })];
    });
    const ids = events.map((e) => e.id);
    await until('the batch delivered twice', () => batches.filter((b) => b.some((e) => e.id === ids[0])).length === 2);
    await t.platform.domainEvents.drain();
    const rows = await deliveriesOf(ids);
    const endpoints = (await q(`select count(*)::int as n from webhook_endpoints where organization_id = $1 and enabled and event_types && array['*', 'trust.*', 'trust.evidence']`, [a.organizationId]))[0].n;
    assert.equal(rows.length, endpoints * 2, 'one delivery per endpoint and event, after two fan-outs of the batch');
    assert.equal((await q('select count(*)::int as n from webhook_events where id = any($1)', [ids]))[0].n, 2);
  });

  it('stores nothing for an organization without endpoints, and events but no deliveries while its endpoints are disabled', async () => {
    const bare = await seedOrganization(t, 'Bare');
    const events = await record(bare.organizationId, 2);
    assert.equal((await q('select count(*)::int as n from webhook_events where organization_id = $1', [bare.organizationId]))[0].n, 0);
    const paused = await endpoint(['trust.*'], false, bare);
    const later = await record(bare.organizationId, 2);
    assert.equal((await q('select count(*)::int as n from webhook_events where id = any($1)', [later.map((e) => e.id)]))[0].n, 2, 'kept for a replay');
    assert.equal((await deliveriesOf([...events, ...later].map((e) => e.id))).length, 0);
    // Enabled again, it catches up with a replay of what it missed.
    assert.equal((await send('PATCH', `/api/v1/webhook-endpoints/${paused}`, { enabled: true }, bare.as.manager.apiKey)).statusCode, 200);
    const replay = await send('POST', `/api/v1/webhook-endpoints/${paused}/replay`, { since: new Date(Date.now() - 3600_000).toISOString() }, bare.as.manager.apiKey);
    assert.equal(replay.statusCode, 202, replay.body);
    assert.equal(replay.json().count, 2);
    assert.deepEqual((await deliveriesOf(later.map((e) => e.id))).map((r) => [r.endpoint_id, r.status]), [[paused, 'pending'], [paused, 'pending']]);
  });

  it('sends a test event to one endpoint only, outside the outbox; a disabled endpoint refuses', async () => {
    const target = await endpoint(['decision.*']);
    const bystander = await endpoint(['*']);
    const res = await send('POST', `/api/v1/webhook-endpoints/${target}/test`);
    assert.equal(res.statusCode, 202, res.body);
    const delivery = res.json().delivery;
    assert.equal(delivery.endpointId, target);
    assert.equal(delivery.eventType, 'webhook.test');
    assert.equal(delivery.status, 'pending');
    const [event] = await q('select type, data from webhook_events where id = $1', [delivery.eventId]);
    assert.deepEqual(event, { type: 'webhook.test', data: { endpointId: target, message: event!.data.message } });
    assert.deepEqual((await deliveriesOf([delivery.eventId])).map((r) => r.endpoint_id), [target], 'no other endpoint receives it');
    assert.equal((await q('select count(*)::int as n from event_outbox where id = $1', [delivery.eventId]))[0].n, 0);
    await t.platform.domainEvents.drain();
    assert.ok(!batches.flat().some((e) => e.id === delivery.eventId), 'no subscription hears it');
    assert.ok(bystander);
    await send('PATCH', `/api/v1/webhook-endpoints/${target}`, { enabled: false });
    const refused = await send('POST', `/api/v1/webhook-endpoints/${target}/test`);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'webhook_endpoint_disabled');
  });

  it('lists and reads deliveries with their attempts; redelivers one, and every failed one since a time, keeping ids and attempts', async () => {
    const id = await endpoint(['trust.evidence']);
    const events = await record(a.organizationId, 4);
    const list = await send('GET', `/api/v1/webhook-endpoints/${id}/deliveries?limit=3`);
    assert.equal(list.statusCode, 200, list.body);
    const page = list.json();
    assert.equal(page.deliveries.length, 3);
    const next = (await send('GET', `/api/v1/webhook-endpoints/${id}/deliveries?limit=3&cursor=${page.nextCursor}`)).json();
    assert.equal(next.deliveries.length, 1);
    assert.equal(next.nextCursor, null);
    const all = [...page.deliveries, ...next.deliveries];
    assert.deepEqual(all.map((d) => d.eventId).sort(), events.map((e) => e.id).sort());
    assert.deepEqual(all.map((d) => d.id), all.map((d) => d.id).sort().reverse(), 'newest first');

    // As the delivery engine leaves them: one failed, one retrying, one succeeded, with their attempts.
    const [failed, retrying, succeeded] = all as { id: string }[];
    const owner = await t.owner();
    await owner.query(`update webhook_deliveries set status = 'failed', attempts = 9, next_attempt_at = null, last_status_code = 500 where id = $1`, [failed!.id]);
    await owner.query(`update webhook_deliveries set status = 'retrying', attempts = 2, next_attempt_at = now() + interval '1 hour', lease_until = now() + interval '1 minute' where id = $1`, [retrying!.id]);
    await owner.query(`update webhook_deliveries set status = 'succeeded', attempts = 1, next_attempt_at = null where id = $1`, [succeeded!.id]);
    for (const [offset, status] of [[2, 500], [1, null]] as const) {
      await owner.query(
        `insert into webhook_attempts (delivery_id, organization_id, endpoint_id, attempted_at, status_code, latency_ms, response_excerpt, error_code, error)
         values ($1, $2, $3, now() - make_interval(secs => $4), $5, 12, $6, $7, $8)`,
        [failed!.id, a.organizationId, id, offset, status, status ? 'oops' : null, status ? 'http_status' : 'timeout', status ? 'answered 500' : 'no answer in 10 s'],
      );
    }
    const detail = await send('GET', `/api/v1/webhook-endpoints/${id}/deliveries/${failed!.id}`);
    assert.equal(detail.statusCode, 200, detail.body);
    assert.equal(detail.json().delivery.status, 'failed');
    assert.deepEqual(detail.json().attemptLog.map((x: { statusCode: number | null; errorCode: string }) => [x.statusCode, x.errorCode]), [[500, 'http_status'], [null, 'timeout']], 'oldest first');
    const failedOnly = (await send('GET', `/api/v1/webhook-endpoints/${id}/deliveries?status=failed`)).json();
    assert.deepEqual(failedOnly.deliveries.map((d: { id: string }) => d.id), [failed!.id]);

    const again = await send('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${failed!.id}/redeliver`);
    assert.equal(again.statusCode, 202, again.body);
    assert.deepEqual([again.json().delivery.id, again.json().delivery.status, again.json().delivery.attempts], [failed!.id, 'pending', 9]);
    await owner.query(`update webhook_deliveries set status = 'failed', next_attempt_at = null where id = $1`, [failed!.id]);
    const bulk = await send('POST', `/api/v1/webhook-endpoints/${id}/redeliver-failed`, { since: new Date(Date.now() - 600_000).toISOString() });
    assert.equal(bulk.statusCode, 202, bulk.body);
    assert.equal(bulk.json().count, 2, 'the failed and the retrying one');
    const after = await q('select id, status, attempts, lease_until, next_attempt_at from webhook_deliveries where endpoint_id = $1', [id]);
    const byId = new Map(after.map((r) => [r.id, r]));
    for (const d of [failed!, retrying!]) {
      assert.equal(byId.get(d.id).status, 'pending');
      assert.equal(byId.get(d.id).lease_until, null);
      assert.ok(byId.get(d.id).next_attempt_at.getTime() <= Date.now() + 1000);
    }
    assert.equal(byId.get(retrying!.id).attempts, 2);
    assert.equal(byId.get(succeeded!.id).status, 'succeeded', 'a success is not sent again by redeliver-failed');
    const none = await send('POST', `/api/v1/webhook-endpoints/${id}/redeliver-failed`, { since: new Date(Date.now() + 600_000).toISOString() });
    assert.equal(none.json().count, 0);
  });

  it('replays a period: every event the endpoint receives, new or rescheduled, and refuses more than a call may schedule', async () => {
    const since = new Date().toISOString();
    const early = await endpoint(['trust.*']);
    const events = await record(a.organizationId, 3);
    const owner = await t.owner();
    await owner.query(`update webhook_deliveries set status = 'succeeded', attempts = 1, next_attempt_at = null where endpoint_id = $1`, [early]);
    const late = await endpoint(['trust.evidence']);
    for (const id of [early, late]) {
      const res = await send('POST', `/api/v1/webhook-endpoints/${id}/replay`, { since });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().count, 3, id === early ? 'its deliveries rescheduled' : 'deliveries it never had');
    }
    const rows = await deliveriesOf(events.map((e) => e.id));
    for (const id of [early, late]) {
      assert.deepEqual(rows.filter((r) => r.endpoint_id === id).map((r) => r.status), ['pending', 'pending', 'pending']);
    }
    assert.deepEqual(rows.filter((r) => r.endpoint_id === early).map((r) => r.attempts), [1, 1, 1], 'attempts kept');
    const empty = await send('POST', `/api/v1/webhook-endpoints/${late}/replay`, { since, until: since });
    assert.equal(empty.statusCode, 400);

    const crowded = await seedOrganization(t, 'Crowded');
    const wide = await endpoint(['trust.*'], true, crowded);
    await owner.query(
      `insert into webhook_events (id, organization_id, type, version, occurred_at, data)
       select aim_new_id('dev'), $1, 'trust.evidence', 1, now() - make_interval(secs => i % 600), '{}'::jsonb from generate_series(1, 10001) i`,
      [crowded.organizationId],
    );
    const tooMany = await send('POST', `/api/v1/webhook-endpoints/${wide}/replay`, { since: new Date(Date.now() - 3600_000).toISOString() }, crowded.as.admin.apiKey);
    assert.equal(tooMany.statusCode, 400, tooMany.body);
    assert.equal(tooMany.json().error.code, 'webhook_replay_too_large');
    assert.equal((await q('select count(*)::int as n from webhook_deliveries where endpoint_id = $1', [wide]))[0].n, 0, 'nothing scheduled');
  });

  it('makes ids in SQL as platform/ids.ts does: the format, the creation time, the order, distinct', async () => {
    const before = Date.now();
    const { rows } = await t.platform.db.query<{ id: string }>(`select aim_new_id('whd') as id from generate_series(1, 2000)`);
    const after = Date.now();
    assert.equal(new Set(rows.map((r) => r.id)).size, 2000);
    for (const { id } of rows) {
      assert.ok(isId('whd', id), id);
      assert.ok(idTime(id) >= before - 5 && idTime(id) <= after + 5, `${id} carries ${idTime(id)}, not between ${before} and ${after}`);
    }
    const times = rows.map((r) => idTime(r.id));
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'later ids carry later times');
    assert.ok(newId('whd', before - 1) < rows[0]!.id, 'and sort after the ids platform/ids.ts made before');
  });

  it('drops whole months of events, deliveries and attempts older than the retention, and keeps the current ones', async () => {
    const owner = await t.owner();
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_attempts']) {
      await owner.query(`create table ${table}_y2020m01 partition of ${table} for values from ('2020-01-01') to ('2020-02-01')`);
    }
    const before = await q(`select count(*)::int as n from pg_inherits where inhparent = 'webhook_events'::regclass`);
    const { rows } = await t.platform.db.query<{ dropped: number }>('select aim_drop_webhook_months(30) as dropped');
    assert.equal(rows[0]!.dropped, 3);
    const left = await q(`select to_regclass('webhook_events_y2020m01') as gone, (select count(*)::int from pg_inherits where inhparent = 'webhook_events'::regclass) as n`);
    assert.equal(left[0]!.gone, null);
    assert.equal(left[0]!.n, before[0]!.n - 1, 'the current months stay');
    assert.equal((await t.platform.db.query<{ dropped: number }>('select aim_drop_webhook_months(30) as dropped')).rows[0]!.dropped, 0);
    await assert.rejects(t.platform.db.query('select aim_drop_webhook_months(0)'), /keep_days must be between/);
  });
});
