import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secure } from '@aim/sdk';
import { startAim, type AimProcess } from '../../testing/aim-process.js';

/**
 * Webhooks as `npm start` runs them: the real entry point on its embedded PostgreSQL. An admin adds an
 * endpoint (a receiver on this machine: the deployment allows private networks), an agent's decision
 * reaches it as a scheduled delivery through the outbox and the fan-out, and the delivery log shows it;
 * a replay schedules it again under the same event id.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-webhooks-test-0123456789';

describe('webhooks in the real process', () => {
  let aim: AimProcess | undefined;
  let receiver: Server | undefined;
  const dirs: string[] = [];
  after(async () => {
    await aim?.stop();
    receiver?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('schedules a delivery of a decision to a subscribed endpoint, shown in its log, and replays it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aim-webhooks-'));
    dirs.push(dataDir);
    receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/aim`;
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
    const { apiKey } = (await setup.json()) as { apiKey: { key: string } };
    const call = async (method: string, path: string, body?: unknown, expect = 200) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      assert.equal(res.status, expect, `${method} ${path}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    };

    const since = new Date().toISOString();
    const created = await call('POST', '/api/v1/webhook-endpoints', { url: receiverUrl, eventTypes: ['decision.*'] }, 201);
    assert.match(created.secret, /^whsec_/);
    const endpointId = created.webhookEndpoint.id as string;
    await call('POST', '/api/v1/capabilities', { name: 'reports:read', riskLevel: 'low' }, 201);
    const enrollment = await call('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 }, 201);
    const agent = await secure('hooked-agent', { baseUrl: base, enrollmentToken: enrollment.token, credentialsPath: join(dataDir, 'agent.json') });
    await call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: 'reports:read' }, 201);
    const decided = await agent.verifyAction('reports:read', 'reports/1');
    assert.equal(decided.decision, 'allow');

    // The outbox delivers the decision's event; the fan-out schedules it for the endpoint.
    const deadline = Date.now() + 60_000;
    let delivery: { id: string; eventId: string; eventType: string } | undefined;
    while (!delivery) {
      const log = await call('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries?eventType=decision.created`);
      delivery = log.deliveries[0];
      if (!delivery) {
        assert.ok(Date.now() < deadline, 'no delivery of the decision within 60 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const detail = await call('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries/${delivery.id}`);
    assert.equal(detail.delivery.eventType, 'decision.created');
    const all = await call('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries`);
    assert.ok(all.deliveries.every((d: { eventType: string }) => d.eventType.startsWith('decision.')), 'only the types it receives');

    const replayed = await call('POST', `/api/v1/webhook-endpoints/${endpointId}/replay`, { since }, 202);
    assert.equal(replayed.count, all.deliveries.length, 'every delivered event of the period, again');
    const again = await call('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries?eventId=${delivery.eventId}`);
    assert.deepEqual(again.deliveries.map((d: { id: string }) => d.id), [delivery.id], 'the same delivery, rescheduled: one per endpoint and event');
    assert.equal(await aim.stop(), 0, aim.output());
    aim = undefined;
  });
});
