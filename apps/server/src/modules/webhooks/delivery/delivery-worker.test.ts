import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type pg from 'pg';
import type { DomainEvent } from '../../../platform/events/domain-events.js';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization } from '../../../testing/people-fixtures.js';
import {
  eventually,
  insertEndpoint,
  insertEvent,
  newSecret,
  scheduleDelivery,
  startReceiver,
  verifyReceived,
  type Receiver,
} from './delivery-fixtures.js';

/**
 * The delivery worker in the real app (it starts with the app): deliveries written as the fan-out
 * writes them, sent to real receivers on loopback, verified as a receiver verifies them.
 */
forEachTarget('webhook delivery worker', (target) => {
  let t: TestApp;
  let db: pg.Client;
  let organizationId: string;
  const receivers: Receiver[] = [];
  const heard: DomainEvent[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '1000' } });
    db = await t.owner();
    organizationId = (await seedOrganization(t)).organizationId;
    await t.platform.domainEvents.listen((e) => heard.push(e));
  });
  after(async () => {
    for (const r of receivers) await r.close();
    await t?.close();
  });

  const delivery = async (id: string) =>
    (await db.query('select * from webhook_deliveries where id = $1', [id])).rows[0] as {
      status: string;
      attempts: number;
      next_attempt_at: Date | null;
      lease_until: Date | null;
      last_status_code: number | null;
      last_error: string | null;
    };
  const settled = (id: string, status: string) =>
    eventually(`delivery ${id} ${status}`, async () => {
      const d = await delivery(id);
      return d.status === status && d.lease_until === null ? d : undefined;
    });
  const attemptsOf = async (id: string) =>
    (await db.query('select * from webhook_attempts where delivery_id = $1 order by attempted_at', [id])).rows as {
      status_code: number | null;
      latency_ms: number;
      response_excerpt: string | null;
      error_code: string | null;
      error: string | null;
    }[];
  const endpoint = async (id: string) =>
    (await db.query('select enabled, disabled_reason, failing_since, last_success_at from webhook_endpoints where id = $1', [id])).rows[0] as {
      enabled: boolean;
      disabled_reason: string | null;
      failing_since: Date | null;
      last_success_at: Date | null;
    };

  it('delivers the event signed per Standard Webhooks, and records the attempt and the success', async () => {
    const r = await receiver((_req, res) => res.end('received'));
    const { id: endpointId, secret } = await insertEndpoint(db, t.platform.keyring, organizationId, { url: r.url });
    const event = await insertEvent(db, organizationId);
    const id = await scheduleDelivery(db, endpointId, event);
    const done = await settled(id, 'succeeded');
    assert.equal(done.attempts, 1);
    assert.equal(done.next_attempt_at, null);
    assert.equal(done.last_status_code, 200);
    assert.equal(r.received.length, 1);
    const got = r.received[0]!;
    // The body is the event contract, and verifies with the endpoint's secret.
    assert.deepEqual(verifyReceived(secret, got), event);
    assert.deepEqual(JSON.parse(got.body), event);
    assert.equal(got.headers['webhook-id'], event.id);
    assert.ok(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
    assert.match(String(got.headers['user-agent']), /^AIM-Webhooks\//);
    assert.equal(got.headers['webhook-signature']!.toString().split(' ').length, 1);
    assert.throws(() => verifyReceived(newSecret(), got));
    const [attempt] = await attemptsOf(id);
    assert.deepEqual(
      { status: attempt!.status_code, excerpt: attempt!.response_excerpt, code: attempt!.error_code, error: attempt!.error },
      { status: 200, excerpt: 'received', code: null, error: null },
    );
    assert.ok(attempt!.latency_ms >= 0);
    const e = await endpoint(endpointId);
    assert.ok(e.last_success_at);
    assert.equal(e.failing_since, null);
  });

  it('finds the delivery again when the event time has microseconds (as PostgreSQL writes it)', async () => {
    const r = await receiver();
    const { id: endpointId, secret } = await insertEndpoint(db, t.platform.keyring, organizationId, { url: r.url });
    const event = await insertEvent(db, organizationId, 'precise', { microseconds: '417' });
    const id = await scheduleDelivery(db, endpointId, event);
    const done = await settled(id, 'succeeded');
    assert.equal(done.attempts, 1);
    assert.deepEqual(verifyReceived(secret, r.received[0]!), event);
  });

  it('signs with both secrets while a rotation overlaps, and with the new one only after', async () => {
    const r = await receiver();
    const [current, previous] = [newSecret(), newSecret()];
    const overlapping = await insertEndpoint(db, t.platform.keyring, organizationId, {
      url: r.url,
      secret: current,
      previousSecret: { secret: previous, expiresAt: new Date(Date.now() + 3_600_000) },
    });
    const ended = await insertEndpoint(db, t.platform.keyring, organizationId, {
      url: r.url,
      secret: current,
      previousSecret: { secret: previous, expiresAt: new Date(Date.now() - 1_000) },
    });
    const event = await insertEvent(db, organizationId);
    await settled(await scheduleDelivery(db, overlapping.id, event), 'succeeded');
    const during = r.received.at(-1)!;
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    // A receiver that still has the old secret, and one that has the new, both accept it.
    assert.deepEqual(verifyReceived(previous, during), event);
    assert.deepEqual(verifyReceived(current, during), event);
    await settled(await scheduleDelivery(db, ended.id, event), 'succeeded');
    const afterOverlap = r.received.at(-1)!;
    assert.equal(String(afterOverlap.headers['webhook-signature']).split(' ').length, 1);
    assert.deepEqual(verifyReceived(current, afterOverlap), event);
    assert.throws(() => verifyReceived(previous, afterOverlap));
  });

  it('retries a failed attempt about 5 s later, and a success ends the run of failures', async () => {
    let failing = true;
    const r = await receiver((_req, res) => (failing ? res.writeHead(500).end('boom') : res.end('ok')));
    const { id: endpointId } = await insertEndpoint(db, t.platform.keyring, organizationId, { url: r.url });
    const id = await scheduleDelivery(db, endpointId, await insertEvent(db, organizationId));
    const first = await settled(id, 'retrying');
    assert.equal(first.attempts, 1);
    assert.equal(first.last_status_code, 500);
    assert.match(first.last_error!, /Answered 500/);
    const wait = first.next_attempt_at!.getTime() - Date.now();
    assert.ok(wait > 2_500 && wait <= 6_000, `next attempt in ${wait} ms`);
    const failingSince = (await endpoint(endpointId)).failing_since;
    assert.ok(failingSince);
    const [attempt] = await attemptsOf(id);
    assert.equal(attempt!.error_code, 'http_status');
    assert.equal(attempt!.response_excerpt, 'boom');

    // The retry, brought forward: it succeeds, and the endpoint is no longer failing.
    failing = false;
    await db.query('update webhook_deliveries set next_attempt_at = now() where id = $1', [id]);
    const second = await settled(id, 'succeeded');
    assert.equal(second.attempts, 2);
    assert.equal(r.received.length, 2);
    assert.equal(r.received[0]!.headers['webhook-id'], r.received[1]!.headers['webhook-id']);
    assert.deepEqual((await attemptsOf(id)).map((a) => a.status_code), [500, 200]);
    assert.equal((await endpoint(endpointId)).failing_since, null);
  });

  it('does not send to a disabled endpoint: its deliveries fail', async () => {
    const r = await receiver();
    const { id: endpointId } = await insertEndpoint(db, t.platform.keyring, organizationId, { url: r.url, enabled: false });
    const id = await scheduleDelivery(db, endpointId, await insertEvent(db, organizationId));
    const d = await settled(id, 'failed');
    assert.equal(d.last_error, 'endpoint disabled');
    assert.equal(d.attempts, 0);
    assert.equal(r.received.length, 0);
    assert.deepEqual(await attemptsOf(id), []);
  });

  it('disables an endpoint failing for longer than the window at its next failure, with its audit record and event', async () => {
    const r = await receiver((_req, res: ServerResponse) => res.writeHead(502).end());
    const failingSince = new Date(Date.now() - 73 * 3_600_000);
    const { id: endpointId } = await insertEndpoint(db, t.platform.keyring, organizationId, { url: r.url, failingSince });
    const due = await scheduleDelivery(db, endpointId, await insertEvent(db, organizationId));
    const later = await scheduleDelivery(db, endpointId, await insertEvent(db, organizationId), new Date(Date.now() + 3_600_000));
    const e = await eventually('the endpoint disabled', async () => {
      const row = await endpoint(endpointId);
      return row.enabled ? undefined : row;
    });
    assert.match(e.disabled_reason!, /failed for 7\d(\.\d)? hours/);
    assert.equal(e.failing_since!.getTime(), failingSince.getTime());
    // The failed attempt was made and recorded; then it, and what was still to be sent, failed.
    const attempted = await settled(due, 'failed');
    assert.deepEqual([attempted.attempts, attempted.last_status_code, attempted.next_attempt_at], [1, 502, null]);
    assert.equal(r.received.length, 1);
    const pending = await delivery(later);
    assert.equal(pending.status, 'failed');
    assert.equal(pending.last_error, 'endpoint disabled');
    await t.platform.auditSequencer.drain(organizationId);
    const { rows: audit } = await db.query(
      `select actor_type, actor_id, action, details from audit_events where organization_id = $1 and target_id = $2`,
      [organizationId, endpointId],
    );
    assert.deepEqual(
      audit.map((a) => [a.actor_type, a.actor_id, a.action]),
      [['system', null, 'webhook_endpoint.disable']],
    );
    const disabled = await eventually('webhook.disabled dispatched', async () =>
      heard.find((h) => h.type === 'webhook.disabled' && h.data.endpointId === endpointId),
    );
    assert.deepEqual(disabled.data, { endpointId, url: r.url, reason: e.disabled_reason, failingSince: failingSince.toISOString() });
    assert.equal(disabled.organizationId, organizationId);
  });

  it('counts attempts by outcome in the metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(res.body, /^aim_webhook_attempts_total\{outcome="success"\} [1-9]/m);
    assert.match(res.body, /^aim_webhook_attempts_total\{outcome="http_status"\} [1-9]/m);
    assert.match(res.body, /^aim_webhook_deliveries_due \d+$/m);
    assert.match(res.body, /^aim_webhook_attempt_duration_seconds_count [1-9]/m);
  });
});

forEachTarget('webhook delivery with a slow endpoint', (target) => {
  let t: TestApp;
  let db: pg.Client;
  let organizationId: string;
  let slow: Receiver;
  let fast: Receiver;
  const held: ServerResponse[] = [];
  before(async () => {
    // Two attempts per endpoint at once, four in all: the slow endpoint could take every slot but its two.
    t = await createTestApp(target, {
      env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '30000', WEBHOOK_CONCURRENCY: '4', WEBHOOK_ENDPOINT_CONCURRENCY: '2' },
    });
    db = await t.owner();
    organizationId = (await seedOrganization(t)).organizationId;
    slow = await startReceiver((_req, res) => held.push(res));
    fast = await startReceiver();
  });
  after(async () => {
    for (const res of held) res.end();
    await slow?.close();
    await fast?.close();
    await t?.close();
  });

  it("sends a fast endpoint's deliveries while a slow one holds its share, and the slow one's after", async () => {
    const slowEndpoint = await insertEndpoint(db, t.platform.keyring, organizationId, { url: slow.url });
    const fastEndpoint = await insertEndpoint(db, t.platform.keyring, organizationId, { url: fast.url });
    // The slow endpoint's deliveries are due first, so they are claimed first.
    const first = new Date(Date.now() - 60_000);
    for (let i = 0; i < 10; i++) await scheduleDelivery(db, slowEndpoint.id, await insertEvent(db, organizationId), first);
    for (let i = 0; i < 20; i++) await scheduleDelivery(db, fastEndpoint.id, await insertEvent(db, organizationId));
    await fast.waitFor(20);
    await slow.waitFor(2);
    // Every fast delivery arrived while the slow endpoint still holds the first two it was sent.
    assert.equal(slow.received.length, 2);
    assert.equal(held.length, 2);
    const counts = async (endpointId: string) =>
      Number((await db.query(`select count(*) from webhook_deliveries where endpoint_id = $1 and status = 'succeeded'`, [endpointId])).rows[0]!.count);
    await eventually('the fast deliveries recorded', async () => ((await counts(fastEndpoint.id)) === 20 ? true : undefined));
    assert.equal(await counts(slowEndpoint.id), 0);
    // Answered, the slow endpoint gets the rest.
    const answerAll = setInterval(() => held.splice(0).forEach((res) => res.end('late')), 20);
    try {
      await slow.waitFor(10);
      await eventually('the slow deliveries recorded', async () => ((await counts(slowEndpoint.id)) === 10 ? true : undefined));
    } finally {
      clearInterval(answerAll);
    }
    assert.equal(new Set(fast.received.map((r) => r.headers['webhook-id'])).size, 20);
  });
});

forEachTarget('webhook delivery paused', (target) => {
  let t: TestApp;
  let receiver: Receiver;
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_DELIVERY_PAUSED: 'true' } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('sends nothing while WEBHOOK_DELIVERY_PAUSED is set: deliveries wait', async () => {
    const db = await t.owner();
    const { organizationId } = await seedOrganization(t);
    const { id: endpointId } = await insertEndpoint(db, t.platform.keyring, organizationId, { url: receiver.url });
    const id = await scheduleDelivery(db, endpointId, await insertEvent(db, organizationId));
    assert.ok(t.logs.raw.some((line) => line.includes('webhook delivery is paused')));
    // A running worker looks every 250 ms; four times that, the delivery is untouched.
    await new Promise((r) => setTimeout(r, 1_000));
    const { rows } = await db.query('select status, attempts, lease_until from webhook_deliveries where id = $1', [id]);
    assert.deepEqual(rows[0], { status: 'pending', attempts: 0, lease_until: null });
    assert.equal(receiver.received.length, 0);
  });
});
