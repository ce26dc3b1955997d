import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { setUpOrganization, startAim, type AimProcess } from './testing/aim-process.js';
import { newAgentKey, proofFor, signedHeaders, type TestAgentKey } from './testing/agent-fixtures.js';
import { startSmtpCapture, type SmtpCapture } from './testing/smtp-capture.js';
import { eventually as waitFor } from './testing/eventually.js';

/**
 * Monitoring as `npm start` runs it (embedded PostgreSQL, SMTP_URL at the test's own SMTP server, a
 * webhook receiver on loopback): an agent whose key is misused — requests signed by a second key that
 * name its key id, and a replayed request — gives one `key_misuse` alert, delivered as `alert.raised`
 * to the receiver and by email to the admin; the organization opted in to automatic suspension, so
 * the agent is refused until a person reactivates it; the alert counts in its trust score.
 */
const BOOTSTRAP = 'bootstrap-token-for-the-monitoring-test-0123456789';
const ADMIN = 'ops@watch.example';
const WAIT_MS = 60_000;

interface Delivery {
  id: string;
  type: string;
  data: { alertId: string; type: string; severity: string; subject: { type: string; id: string }; title: string; summary: string };
}

/** A receiver as docs/webhooks.md describes one: verify with the endpoint's secret, keep what verified. */
function startReceiver(): Promise<{ server: Server; url: string; state: { secret: string; received: Delivery[]; refused: number } }> {
  const state = { secret: '', received: [] as Delivery[], refused: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
      try {
        new Webhook(state.secret).verify(body, headers);
      } catch {
        state.refused++;
        res.writeHead(401).end();
        return;
      }
      state.received.push(JSON.parse(body) as Delivery);
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/aim`, state })));
}

const eventually = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => waitFor(what, probe, { timeoutMs: WAIT_MS });

describe('monitoring on the running server', () => {
  let aim: AimProcess | undefined;
  let smtp: SmtpCapture | undefined;
  let receiver: Server | undefined;
  let dataDir: string | undefined;
  after(async () => {
    if (aim && aim.child.exitCode === null) await aim.stop();
    await smtp?.stop();
    receiver?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('turns a misused key into one key_misuse alert: a webhook, an email to the admin, the agent suspended and reactivated', async (t) => {
    smtp = await startSmtpCapture();
    const hooks = await startReceiver();
    receiver = hooks.server;
    dataDir = await mkdtemp(join(tmpdir(), 'aim-monitoring-'));
    aim = await startAim(
      {
        AIM_DATA_DIR: dataDir,
        PORT: '0',
        SERVE_DASHBOARD: 'false',
        AIM_BOOTSTRAP_TOKEN: BOOTSTRAP,
        SMTP_URL: smtp.url,
        MAIL_FROM: 'AIM <aim@watch.example>',
        OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true',
      },
      { readyTimeoutMs: 120_000 },
    );
    const base = aim.base;
    const { call } = await setUpOrganization(aim, { token: BOOTSTRAP, organization: 'Watchers', adminEmail: ADMIN, adminName: 'Ops' });
    const signed = async (key: TestAgentKey, headers = signedHeaders(key, { url: '/api/v1/agents/me', origin: base })) => {
      const res = await fetch(`${base}/api/v1/agents/me`, { headers });
      return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
    };

    // The organization's receiver takes alert events; the organization suspends agents on critical alerts.
    const endpoint = await call('POST', '/api/v1/webhook-endpoints', { url: hooks.url, description: 'The SOC', eventTypes: ['alert.*'] }, 201);
    hooks.state.secret = endpoint.secret as string;
    await call('PUT', '/api/v1/monitoring/settings', { autoSuspendOnCritical: true });

    // An agent registered with proof of possession, and working.
    const key = newAgentKey();
    const { challenge } = await call('POST', '/api/v1/agent-challenges', undefined, 201);
    const registered = await call('POST', '/api/v1/agents', { name: 'ledger-sync', publicKey: key.jwk, challenge, proof: proofFor(key, 'register', challenge, base) }, 201);
    const agentId = registered.agent.id as string;
    assert.deepEqual(await signed(key), { status: 200, code: undefined });

    // Its key misused: six requests signed by a second key naming its key id, and a captured request replayed twice.
    const thief = { ...newAgentKey(), keyId: key.keyId };
    for (let i = 0; i < 6; i++) assert.deepEqual(await signed(thief), { status: 401, code: 'invalid_signature' });
    const captured = signedHeaders(key, { url: '/api/v1/agents/me', origin: base });
    assert.equal((await signed(key, captured)).status, 200);
    for (let i = 0; i < 2; i++) assert.deepEqual(await signed(key, captured), { status: 401, code: 'replayed_request' });
    const misusedAt = Date.now();

    // One alert, announced to the receiver.
    const raised = await eventually('alert.raised at the receiver', () => hooks.state.received.find((d) => d.type === 'alert.raised'));
    t.diagnostic(`alert.raised at the receiver ${Date.now() - misusedAt} ms after the last refused request`);
    assert.equal(raised.data.type, 'key_misuse');
    assert.equal(raised.data.severity, 'critical');
    assert.deepEqual(raised.data.subject, { type: 'agent', id: agentId });
    const alertId = raised.data.alertId;
    const { alerts } = await call('GET', `/api/v1/alerts?type=key_misuse&subjectId=${agentId}`);
    assert.deepEqual(alerts.map((a: { id: string }) => a.id), [alertId], 'one alert for the burst');
    assert.ok(alerts[0].evidence.observed >= 5, `observed ${alerts[0].evidence.observed} refusals`);

    // By email to the admin, with the numbers and a link to the alert on the dashboard.
    await smtp.waitFor('the alert email', () => smtp!.to(ADMIN, /^\[critical\]/).length === 1, WAIT_MS);
    t.diagnostic(`the alert email ${Date.now() - misusedAt} ms after it`);
    const [mail] = smtp.to(ADMIN, /^\[critical\]/);
    assert.match(mail!.parsed.subject!, /: ledger-sync$/);
    const text = mail!.parsed.text!;
    assert.ok(text.includes(`${base}/alerts/detail/?id=${alertId}`), text);
    assert.ok(text.includes(raised.data.summary), 'the summary with its numbers');
    assert.match(text, /Observed: \d+/);

    // Suspended by the system, refused at once; the alert says so; the alert counts in its trust score.
    assert.deepEqual(await eventually('the automatic suspension', async () => ((await signed(key)).code === 'agent_suspended' ? true : undefined)), true);
    t.diagnostic(`the agent refused ${Date.now() - misusedAt} ms after it`);
    const detail = await call('GET', `/api/v1/alerts/${alertId}`);
    assert.ok(detail.notes.some((n: { author: { type: string }; body: string }) => n.author.type === 'system' && n.body.startsWith('AIM suspended the agent')), JSON.stringify(detail.notes));
    const { trust } = await call('GET', `/api/v1/agents/${agentId}/trust`);
    const history = trust.factors.find((f: { key: string }) => f.key === 'incidentHistory');
    assert.equal(history.evidence.alerts, 1);
    assert.ok(history.explanation.includes(alertId), history.explanation);

    // A person reactivates it.
    await call('POST', `/api/v1/agents/${agentId}/reactivate`, { reason: 'Key rotated after the investigation' });
    assert.deepEqual(await signed(key), { status: 200, code: undefined });

    // Still one alert and one announcement once everything settled; every delivery verified.
    await new Promise((r) => setTimeout(r, 3000));
    const announced = hooks.state.received.filter((d) => d.type === 'alert.raised');
    assert.deepEqual(announced.map((d) => [d.data.type, d.data.subject.id]), [['key_misuse', agentId]], JSON.stringify(announced));
    assert.equal((await call('GET', `/api/v1/alerts?type=key_misuse`)).alerts.length, 1);
    assert.equal(hooks.state.refused, 0);
    assert.equal(smtp.to(ADMIN, /^\[critical\]/).length, 1);
    assert.equal(await aim.stop(), 0, aim.output());
  });
});
