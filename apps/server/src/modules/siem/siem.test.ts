import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { selfSignedCertificate, startSyslogCollector, type SyslogCollector, type SyslogMessage } from '../../testing/syslog-collector.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { SD_ID } from './syslog-format.js';

/**
 * The audit stream reaches a real syslog collector (a TCP listener, and a TLS one) as a SIEM would
 * receive it: every event of every organization, framed, parseable, in chain order, and nothing
 * skipped while the collector is down.
 */
const FAST = { SIEM_SYSLOG_POLL_MS: '100', SIEM_SYSLOG_RETRY_MAX_MS: '200', RATE_LIMIT_PRINCIPAL_MAX: '100000', RATE_LIMIT_IP_MAX: '100000' };

interface Streamed {
  message: SyslogMessage;
  event: Record<string, unknown> & { id: string; organizationId: string; seq: number };
}

const streamedOf = (messages: SyslogMessage[], organizationId: string): Streamed[] =>
  messages
    .map((message) => ({ message, event: JSON.parse(message.msg) as Streamed['event'] }))
    .filter((s) => s.event.organizationId === organizationId);

/** The organization's events as received, duplicates (same eventId, same seq, same content) removed: must be 1..n in order. */
function assertComplete(messages: SyslogMessage[], organizationId: string, head: number): { duplicates: number } {
  const seen = new Map<string, string>();
  const order: number[] = [];
  for (const { message, event } of streamedOf(messages, organizationId)) {
    const previous = seen.get(event.id);
    if (previous !== undefined) {
      assert.equal(message.msg, previous, `a duplicate of ${event.id} carries the same event`);
      continue;
    }
    seen.set(event.id, message.msg);
    order.push(event.seq);
  }
  assert.deepEqual(order, Array.from({ length: head }, (_, i) => i + 1), 'every event once, in chain order');
  return { duplicates: streamedOf(messages, organizationId).length - order.length };
}

async function chainHead(t: TestApp, organizationId: string): Promise<number> {
  await t.platform.auditSequencer.drain(organizationId);
  const owner = await t.owner();
  const { rows } = await owner.query<{ seq: string }>('select seq from audit_chain_heads where organization_id = $1', [organizationId]);
  return Number(rows[0]!.seq);
}

async function createCapabilities(t: TestApp, org: SeededOrganization, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/capabilities', headers: org.as.admin.apiKey, payload: { name: `${prefix}:r${i}`, riskLevel: 'low' } });
    assert.equal(res.statusCode, 201, res.body);
  }
}

const metric = async (t: TestApp, name: string): Promise<number> => {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line ? Number(line[1]) : NaN;
};

forEachTarget('SIEM streaming over TCP', (target) => {
  let t: TestApp;
  let collector: SyslogCollector;
  let a: SeededOrganization;
  let b: SeededOrganization;

  before(async () => {
    collector = await startSyslogCollector();
    t = await createTestApp(target, { env: { ...FAST, SIEM_SYSLOG_URL: `tcp://127.0.0.1:${collector.port}`, SIEM_SYSLOG_APP_NAME: 'aim-test' } });
    a = await seedOrganization(t, 'Streamed A');
    b = await seedOrganization(t, 'Streamed B');
  });
  after(async () => {
    await t?.close();
    await collector?.close();
  });

  it('sends every audit event of every organization, framed and parseable, in chain order, every field mapped', async () => {
    await createCapabilities(t, a, 'a', 3);
    await createCapabilities(t, b, 'b', 2);
    const ctx: RequestContext = { requestId: 'req-siem-1', clientIp: '2001:db8::7', userAgent: 'siem "test" ]agent\\', actor: { type: 'agent', id: 'agt_0000000000000000000000000a' }, organizationId: a.organizationId, role: null, userId: null, personId: null, sessionId: null };
    await t.platform.db.transaction({ organizationId: a.organizationId }, (tx) =>
      recordAuditEvent(tx, ctx, { action: 'decision.verify_action_with_a_very_long_name', outcome: 'denied', target: { type: 'capability', id: 'cap "x" ]' }, details: { note: 'é ✓ 漢字 "quoted" ]', n: 1 } }),
    );
    const heads = { a: await chainHead(t, a.organizationId), b: await chainHead(t, b.organizationId) };
    await collector.until('every event of both organizations', (m) =>
      streamedOf(m, a.organizationId).some((s) => s.event.seq === heads.a) && streamedOf(m, b.organizationId).some((s) => s.event.seq === heads.b),
    );
    assert.deepEqual(collector.problems, []);
    assert.equal(assertComplete(collector.messages, a.organizationId, heads.a).duplicates, 0);
    assert.equal(assertComplete(collector.messages, b.organizationId, heads.b).duplicates, 0);

    // Every field of every event, against the database.
    const owner = await t.owner();
    const { rows } = await owner.query(
      `select id, organization_id, seq, encode(hash, 'hex') as hash, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
              actor_type, actor_id, action, target_type, target_id, outcome, request_id, client_ip, user_agent, details
         from audit_events where organization_id = $1 order by seq`,
      [a.organizationId],
    );
    const received = streamedOf(collector.messages, a.organizationId);
    assert.equal(rows.length, received.length);
    for (const [i, r] of rows.entries()) {
      const { message, event } = received[i]!;
      assert.deepEqual(event, {
        id: r.id,
        organizationId: r.organization_id,
        seq: Number(r.seq),
        hash: r.hash,
        occurredAt: r.occurred_at,
        actor: { type: r.actor_type, id: r.actor_id },
        action: r.action,
        target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
        outcome: r.outcome,
        requestId: r.request_id,
        clientIp: r.client_ip,
        userAgent: r.user_agent,
        details: r.details,
      });
      assert.equal(message.version, 1);
      assert.equal(message.facility, 10);
      assert.equal(message.severity, r.outcome === 'success' ? 6 : 4);
      assert.equal(message.timestamp, r.occurred_at);
      assert.equal(message.hostname, 'localhost');
      assert.equal(message.appName, 'aim-test');
      assert.equal(message.procId, '-');
      assert.equal(message.msgId, r.action.slice(0, 32));
      assert.deepEqual(message.structuredData, { [SD_ID]: { organizationId: r.organization_id, seq: String(r.seq), eventId: r.id } });
    }
    const denied = received.find((s) => s.event.outcome === 'denied')!;
    assert.equal(denied.message.msgId, 'decision.verify_action_with_a_ve');
    assert.equal(denied.message.pri, 10 * 8 + 4);
    assert.deepEqual(denied.event.details, { note: 'é ✓ 漢字 "quoted" ]', n: 1 });

    // The cursors stand at the heads; the metrics say so.
    const cursors = await owner.query<{ organization_id: string; seq: string }>('select organization_id, seq from siem_cursors where organization_id = any($1)', [[a.organizationId, b.organizationId]]);
    assert.deepEqual(Object.fromEntries(cursors.rows.map((r) => [r.organization_id, Number(r.seq)])), { [a.organizationId]: heads.a, [b.organizationId]: heads.b });
    assert.equal(await metric(t, 'aim_siem_connected'), 1);
    assert.ok((await metric(t, 'aim_siem_events_streamed_total')) >= heads.a + heads.b);
  });

  it('skips nothing while the collector is down: what was chained meanwhile arrives once it is back, in order', async () => {
    const connectionsBefore = collector.connections;
    await collector.down();
    // The streamer notices the collector went away.
    const deadline = Date.now() + 10_000;
    while ((await metric(t, 'aim_siem_connected')) !== 0) {
      assert.ok(Date.now() < deadline, 'the streamer did not notice the collector going down');
      await new Promise((r) => setTimeout(r, 50));
    }
    await createCapabilities(t, a, 'down-a', 4);
    await createCapabilities(t, b, 'down-b', 3);
    const heads = { a: await chainHead(t, a.organizationId), b: await chainHead(t, b.organizationId) };
    const countBefore = collector.messages.length;
    // Let the streamer fail at least a few times against the closed port.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(collector.messages.length, countBefore, 'nothing can arrive while the collector is down');
    assert.ok((await metric(t, 'aim_siem_events_behind')) > 0 || (await metric(t, 'aim_siem_connected')) === 0);

    await collector.up();
    await collector.until('the events chained during the outage', (m) =>
      streamedOf(m, a.organizationId).some((s) => s.event.seq === heads.a) && streamedOf(m, b.organizationId).some((s) => s.event.seq === heads.b),
    );
    assert.ok(collector.connections > connectionsBefore, 'a new connection');
    assert.deepEqual(collector.problems, []);
    assertComplete(collector.messages, a.organizationId, heads.a);
    assertComplete(collector.messages, b.organizationId, heads.b);
  });
});

forEachTarget('SIEM streaming over TLS', (target) => {
  let t: TestApp;
  let collector: SyslogCollector;
  let dir: string;

  before(async () => {
    const certificate = selfSignedCertificate();
    collector = await startSyslogCollector({ tls: certificate });
    dir = await mkdtemp(join(tmpdir(), 'aim-siem-ca-'));
    await writeFile(join(dir, 'ca.pem'), certificate.cert);
    t = await createTestApp(target, {
      env: { ...FAST, SIEM_SYSLOG_URL: `tls://localhost:${collector.port}`, SIEM_SYSLOG_CA_FILE: join(dir, 'ca.pem'), SIEM_SYSLOG_HOSTNAME: 'aim.example.com', SIEM_SYSLOG_FACILITY: '13' },
    });
  });
  after(async () => {
    await t?.close();
    await collector?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends every event over TLS to a collector whose certificate the configured authority signed', async () => {
    const org = await seedOrganization(t, 'Over TLS');
    await createCapabilities(t, org, 'tls', 2);
    const head = await chainHead(t, org.organizationId);
    await collector.until('every event over TLS', (m) => streamedOf(m, org.organizationId).some((s) => s.event.seq === head));
    assert.deepEqual(collector.problems, []);
    assertComplete(collector.messages, org.organizationId, head);
    const first = collector.messages[0]!;
    assert.equal(first.hostname, 'aim.example.com');
    assert.equal(first.facility, 13);
  });
});

forEachTarget('SIEM streaming from two instances of one deployment', (target) => {
  let a: TestApp;
  let b: TestApp;
  let collector: SyslogCollector;

  before(async () => {
    collector = await startSyslogCollector();
    const env = { ...FAST, SIEM_SYSLOG_URL: `tcp://127.0.0.1:${collector.port}` };
    a = await createTestApp(target, { env });
    b = await createTestApp(target, { env, sameDeploymentAs: a });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await collector?.close();
  });

  it('streams from one instance at a time, and the other takes over at once when it stops', async () => {
    const org = await seedOrganization(a, 'Two instances');
    await createCapabilities(a, org, 'two', 3);
    let head = await chainHead(a, org.organizationId);
    await collector.until('every event', (m) => streamedOf(m, org.organizationId).some((s) => s.event.seq === head));
    const connected = [await metric(a, 'aim_siem_connected'), await metric(b, 'aim_siem_connected')];
    assert.deepEqual([...connected].sort(), [0, 1], 'exactly one instance streams');
    const [streaming, other] = connected[0] === 1 ? [a, b] : [b, a];

    // The streaming instance stops (its lease given up); the other goes on from the cursor.
    await streaming.app.close();
    await createCapabilities(other, org, 'after', 2);
    head = await chainHead(other, org.organizationId);
    await collector.until('the events after the takeover', (m) => streamedOf(m, org.organizationId).some((s) => s.event.seq === head));
    assert.equal(assertComplete(collector.messages, org.organizationId, head).duplicates, 0);
    assert.equal(await metric(other, 'aim_siem_connected'), 1);
    assert.deepEqual(collector.problems, []);
  });
});

forEachTarget('SIEM streaming woken by the chaining', (target) => {
  let t: TestApp;
  let collector: SyslogCollector;

  before(async () => {
    collector = await startSyslogCollector();
    // A poll far beyond the test's patience: only the `audit.appended` wake-up can send what follows the first look.
    t = await createTestApp(target, { env: { ...FAST, SIEM_SYSLOG_POLL_MS: '600000', SIEM_SYSLOG_URL: `tcp://127.0.0.1:${collector.port}` } });
  });
  after(async () => {
    await t?.close();
    await collector?.close();
  });

  it('sends events as soon as they are chained, without waiting for the poll', async () => {
    const deadline = Date.now() + 10_000;
    while ((await metric(t, 'aim_siem_connected')) !== 1) {
      assert.ok(Date.now() < deadline, 'the streamer did not connect');
      await new Promise((r) => setTimeout(r, 20));
    }
    const org = await seedOrganization(t, 'Woken');
    await createCapabilities(t, org, 'woken', 2);
    const head = await chainHead(t, org.organizationId);
    await t.platform.domainEvents.drain();
    await collector.until('the events, well before the next poll', (m) => streamedOf(m, org.organizationId).some((s) => s.event.seq === head), 20_000);
    assertComplete(collector.messages, org.organizationId, head);
  });
});

forEachTarget('SIEM streaming that starts now', (target) => {
  let plain: TestApp;
  let streaming: TestApp;
  let collector: SyslogCollector;

  before(async () => {
    collector = await startSyslogCollector();
    plain = await createTestApp(target, { env: FAST });
  });
  after(async () => {
    await streaming?.close();
    await plain?.close();
    await collector?.close();
  });

  it('starts existing organizations at their head on the first start, and a new organization at its first event', async () => {
    const old = await seedOrganization(plain, 'Before streaming');
    await createCapabilities(plain, old, 'old', 2);
    const oldHead = await chainHead(plain, old.organizationId);
    // The deployment's first start with streaming on, SIEM_SYSLOG_START=now.
    streaming = await createTestApp(target, {
      env: { ...FAST, SIEM_SYSLOG_URL: `tcp://127.0.0.1:${collector.port}`, SIEM_SYSLOG_START: 'now' },
      sameDeploymentAs: plain,
    });
    await collector.until('a connection', () => collector.connections > 0);
    await createCapabilities(streaming, old, 'later', 2);
    const fresh = await seedOrganization(streaming, 'After streaming began');
    await createCapabilities(streaming, fresh, 'fresh', 1);
    const heads = { old: await chainHead(streaming, old.organizationId), fresh: await chainHead(streaming, fresh.organizationId) };
    await collector.until('the new events of both', (m) =>
      streamedOf(m, old.organizationId).some((s) => s.event.seq === heads.old) && streamedOf(m, fresh.organizationId).some((s) => s.event.seq === heads.fresh),
    );
    const oldSeqs = streamedOf(collector.messages, old.organizationId).map((s) => s.event.seq);
    assert.deepEqual(oldSeqs, Array.from({ length: heads.old - oldHead }, (_, i) => oldHead + 1 + i), 'only what was chained after the start');
    assertComplete(collector.messages, fresh.organizationId, heads.fresh);
  });
});
