import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { secure } from '@aim/sdk';
import { startAim, type AimProcess } from './testing/aim-process.js';
import { eventually as waitFor } from './testing/eventually.js';

/**
 * Webhooks as a customer meets them, on the real process `npm start` runs (embedded PostgreSQL): a
 * receiver written from docs/webhooks.md alone — it verifies each request with the `standardwebhooks`
 * library, keeps the ids it has seen, and answers 500 the first time it sees some events — gets every
 * event of a scripted session exactly once by id, across a secret rotation and redeliveries.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-webhooks-test-0123456789';
const WAIT_MS = 90_000;

interface Received {
  id: string;
  type: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver as docs/webhooks.md describes one: verify, then de-duplicate by webhook-id. */
function startReceiver(): Promise<{ server: Server; url: string; state: { secrets: string[]; failFirst: Set<string>; raw: Received[]; accepted: Map<string, Received>; refused: number } }> {
  const state = { secrets: [] as string[], failFirst: new Set<string>(), raw: [] as Received[], accepted: new Map<string, Received>(), refused: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
      const verified = state.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        state.refused++;
        res.writeHead(401).end();
        return;
      }
      const event = JSON.parse(body) as { id: string; type: string };
      const received = { id: event.id, type: event.type, headers: req.headers, body };
      state.raw.push(received);
      assert.equal(req.headers['webhook-id'], event.id, 'webhook-id is the event id');
      if (state.failFirst.delete(event.type)) {
        res.writeHead(500).end('not now');
        return;
      }
      if (!state.accepted.has(event.id)) state.accepted.set(event.id, received);
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/aim`, state })),
  );
}

const eventually = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => waitFor(what, probe, { timeoutMs: WAIT_MS });

describe('webhooks on the running server', () => {
  const dirs: string[] = [];
  let aim: AimProcess | undefined;
  let receiver: Server | undefined;
  after(async () => {
    if (aim && aim.child.exitCode === null) await aim.stop();
    receiver?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('delivers every event of a session exactly once by id, signed, across a rotation and redeliveries', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-webhooks-'));
    dirs.push(dataDir);
    const hooks = await startReceiver();
    receiver = hooks.server;
    aim = await startAim(
      { AIM_DATA_DIR: dataDir, PORT: '0', SERVE_DASHBOARD: 'false', AIM_BOOTSTRAP_TOKEN: BOOTSTRAP, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
      { readyTimeoutMs: 120_000 },
    );
    const base = aim.base;
    const setup = await fetch(`${base}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: BOOTSTRAP, organization: { name: 'Hooked' }, admin: { email: 'ops@hooked.example', name: 'Ops' } }),
    });
    assert.equal(setup.status, 201, await setup.clone().text());
    const created = (await setup.json()) as { organization: { id: string }; apiKey: { key: string } };
    const call = async (method: string, path: string, body?: unknown, expect?: number) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${created.apiKey.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (expect !== undefined) assert.equal(res.status, expect, `${method} ${path}: ${text}`);
      else assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };

    // A private address is refused at creation unless the deployment allows private networks (it does here).
    const made = await call('POST', '/api/v1/webhook-endpoints', { url: hooks.url, description: 'The test receiver', eventTypes: ['*'] }, 201);
    const endpointId = made.webhookEndpoint.id as string;
    const firstSecret = made.secret as string;
    assert.match(firstSecret, /^whsec_/);
    hooks.state.secrets = [firstSecret];
    const shown = await call('GET', `/api/v1/webhook-endpoints/${endpointId}`);
    assert.ok(!JSON.stringify(shown).includes(firstSecret.slice(6)), 'the secret is shown once only');
    // The receiver refuses the first delivery of each of these once: AIM tries again.
    hooks.state.failFirst = new Set(['decision.created', 'audit.appended']);

    // A scripted session: a catalog, an agent, a grant, an allowed and a denied action.
    await call('POST', '/api/v1/capabilities', { name: 'reports:read', riskLevel: 'low' });
    await call('POST', '/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high' });
    const enrollment = await call('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 });
    const agent = await secure('hooked-agent', { baseUrl: base, enrollmentToken: enrollment.token, credentialsPath: join(dataDir, 'agent.json') });
    await call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'reports:read' });
    assert.equal((await agent.verifyAction('reports:read', 'reports/1')).decision, 'allow');
    assert.equal((await agent.verifyAction('payments:refund', 'orders/1')).decision, 'deny');
    await eventually('a decision event received after its retry', () => ([...hooks.state.accepted.values()].some((r) => r.type === 'decision.created') ? true : undefined));

    // Rotation: during the overlap each request carries both signatures; the receiver that knows only
    // the new secret verifies, and so does one that knows only the old.
    const rotated = await call('POST', `/api/v1/webhook-endpoints/${endpointId}/rotate-secret`, { overlapSeconds: 3600 });
    const secondSecret = rotated.secret as string;
    assert.notEqual(secondSecret, firstSecret);
    hooks.state.secrets = [secondSecret, firstSecret];
    const rotatedAt = hooks.state.raw.length;
    assert.equal((await agent.verifyAction('reports:read', 'reports/2')).decision, 'allow');
    const afterRotation = await eventually('a delivery signed after the rotation', () => hooks.state.raw.slice(rotatedAt).find((r) => r.type === 'decision.created'));
    const signatures = String(afterRotation.headers['webhook-signature']).split(' ');
    assert.equal(signatures.length, 2, 'signed with the new and the previous secret');
    const headers = { 'webhook-id': String(afterRotation.headers['webhook-id']), 'webhook-timestamp': String(afterRotation.headers['webhook-timestamp']), 'webhook-signature': String(afterRotation.headers['webhook-signature']) };
    assert.doesNotThrow(() => new Webhook(firstSecret).verify(afterRotation.body, headers));
    assert.doesNotThrow(() => new Webhook(secondSecret).verify(afterRotation.body, headers));
    assert.throws(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(afterRotation.body, headers));

    // Everything the organization announced reaches the receiver; the log shows each delivery succeeded.
    const owner = await ownerClient(dataDir, aim.pgPort!);
    try {
      const offered = async () =>
        (await owner.query<{ id: string }>(`select id from webhook_events where organization_id = $1 and type <> 'webhook.test'`, [created.organization.id])).rows.map((r) => r.id);
      await eventually('every offered event accepted', async () => {
        const ids = await offered();
        return ids.length > 0 && ids.every((id) => hooks.state.accepted.has(id)) ? true : undefined;
      });
      const log = await eventually('every delivery succeeded', async () => {
        const page = await call('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries?limit=200`);
        return page.deliveries.length > 0 && page.deliveries.every((d: { status: string }) => d.status === 'succeeded') ? page.deliveries : undefined;
      });
      const retried = log.filter((d: { attempts: number }) => d.attempts > 1);
      assert.ok(retried.length >= 2, 'the refused first attempts were tried again');

      // Redeliveries: one by hand, and all since the start. The receiver sees repeats, same ids.
      const before = hooks.state.raw.length;
      const one = log[0];
      await call('POST', `/api/v1/webhook-endpoints/${endpointId}/deliveries/${one.id}/redeliver`, undefined, 202);
      const bulk = await call('POST', `/api/v1/webhook-endpoints/${endpointId}/redeliver-failed`, { since: new Date(Date.now() - 3_600_000).toISOString() }, 202);
      assert.equal(bulk.count, 0, 'nothing had failed');
      await eventually('the redelivery', () => (hooks.state.raw.slice(before).some((r) => r.id === one.eventId) ? true : undefined));

      // Exactly once by id: what the receiver accepted is what AIM offered, no more, no fewer. (The
      // redelivery requests are audited, and their audit.appended events are offered too: wait for those.)
      const ids = await eventually('every event offered so far accepted', async () => {
        const now = await offered();
        return now.every((id) => hooks.state.accepted.has(id)) ? now : undefined;
      });
      assert.deepEqual([...hooks.state.accepted.keys()].sort(), [...ids].sort());
      assert.ok(hooks.state.raw.length > ids.length, 'repeats arrived (the refused ones and the redelivery), identified by id');
      assert.equal(hooks.state.refused, 0, 'every request verified');
      const types = new Set([...hooks.state.accepted.values()].map((r) => r.type));
      for (const type of ['decision.created', 'violation.recorded', 'audit.appended']) assert.ok(types.has(type), `${type} received`);
    } finally {
      await owner.end();
    }
    assert.equal(await aim.stop(), 0, aim.output());
  });
});

async function ownerClient(dataDir: string, port: number): Promise<pg.Client> {
  const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: secrets.postgresPassword, database: 'aim' });
  await client.connect();
  return client;
}
