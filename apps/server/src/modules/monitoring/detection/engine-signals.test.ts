import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { newAgentKey, registerAgent, signedHeaders, signedInject } from '../../../testing/agent-fixtures.js';
import { createAuthFailureRecorder } from '../../../platform/auth/auth-failure-recorder.js';

/** The signals detection reads: the client address on every decision, and refusals naming known keys. */
forEachTarget('detection signals', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { TRUST_PROXY: 'true' } });
    org = await seedOrganization(t);
  });
  after(() => t?.close());

  const addressOf = async (decisionId: string) =>
    (await (await t.owner()).query('select host(client_address) as a from verification_events where id = $1', [decisionId])).rows[0]?.a;

  it('stores the client address of every decision, as the server resolved it', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const url = `/api/v1/agents/${agent.id}/verify-action`;
    const body = JSON.stringify({ action: 'db:read' });
    const direct = await signedInject(t, key, { method: 'POST', url, body });
    assert.equal(direct.statusCode, 200, direct.body);
    assert.equal(await addressOf(direct.json().decisionId), '127.0.0.1');
    // Behind a trusted proxy, the address the proxy names.
    const proxied = await t.app.inject({ method: 'POST', url, payload: body, headers: { ...signedHeaders(key, { method: 'POST', url, body }), 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(proxied.statusCode, 200, proxied.body);
    assert.equal(await addressOf(proxied.json().decisionId), '203.0.113.9');
    // Not an address: the decision is still taken and stored, without one.
    const odd = await t.app.inject({ method: 'POST', url, payload: body, headers: { ...signedHeaders(key, { method: 'POST', url, body }), 'x-forwarded-for': 'not-an-address' } });
    assert.equal(odd.statusCode, 200, odd.body);
    assert.equal(await addressOf(odd.json().decisionId), null);
  });

  it('records refusals that named a known key with their reason and address, and one event per agent', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const heard: { type: string; data: { agentId?: string; failures?: number; reasons?: Record<string, number>; addresses?: string[] } }[] = [];
    const stop = await t.platform.domainEvents.listen((e) => void heard.push(e as never));
    const thief = { ...newAgentKey(), keyId: key.keyId };
    for (let i = 0; i < 3; i += 1) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: { ...signedHeaders(thief, { url: '/api/v1/agents/me' }), 'x-forwarded-for': '198.51.100.7' } });
      assert.equal(res.json().error.code, 'invalid_signature');
    }
    const tampered = await signedInject(t, key, { method: 'POST', url: '/api/v1/oauth/token', body: '{"grant_type":"client_credentials"}', digest: 'sha-256=:AAAA:' });
    assert.equal(tampered.statusCode, 401);
    assert.equal(tampered.json().error.code, 'digest_mismatch', 'signed by the key itself, over a digest the body does not match');
    await t.platform.authFailures.flush();
    const owner = await t.owner();
    const { rows } = await owner.query('select key_id, reason, count::int, addresses from agent_auth_failures where agent_id = $1 order by reason', [agent.id]);
    assert.equal(rows.find((r) => r.reason === 'invalid_signature')?.count, 3);
    assert.deepEqual(rows.find((r) => r.reason === 'invalid_signature')?.addresses, ['198.51.100.7']);
    assert.equal(rows.find((r) => r.reason === 'digest_mismatch')?.count, 1, 'an altered body counts against the key too');
    assert.ok(rows.every((r) => r.key_id === key.keyId));
    await t.platform.domainEvents.drain();
    for (let i = 0; i < 50 && !heard.some((e) => e.type === 'agent.authentication_failed'); i += 1) await new Promise((r) => setTimeout(r, 20));
    stop();
    const reports = heard.filter((e) => e.type === 'agent.authentication_failed' && e.data.agentId === agent.id);
    assert.equal(reports.length, 1, 'one event for the agent');
    assert.equal(reports[0]!.data.failures, rows.reduce((n, r) => n + r.count, 0));
    assert.equal(reports[0]!.data.reasons?.invalid_signature, 3);
    assert.equal(reports[0]!.data.reasons?.digest_mismatch, 1);
    assert.deepEqual([...reports[0]!.data.addresses!].sort(), ['127.0.0.1', '198.51.100.7'], 'the thief behind the proxy, and the tampered request');
    // A request naming an unknown key id stores nothing (it belongs to no organization).
    const before = (await owner.query('select count(*)::int as n from agent_auth_failures')).rows[0].n;
    const stranger = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: signedHeaders(newAgentKey(), { url: '/api/v1/agents/me' }) });
    assert.equal(stranger.json().error.code, 'unknown_key');
    await t.platform.authFailures.flush();
    assert.equal((await owner.query('select count(*)::int as n from agent_auth_failures')).rows[0].n, before);
  });

  it('keeps at most 5,000 distinct entries in memory between flushes, and says it dropped the rest', async () => {
    const { key, agent } = await registerAgent(t, org.as.member.apiKey);
    const warnings: unknown[] = [];
    const recorder = createAuthFailureRecorder({ db: t.platform.db, events: t.platform.domainEvents, logger: { warn: (o: unknown) => void warnings.push(o) } });
    const start = Date.UTC(2026, 0, 1);
    // Each minute is an entry of its own: 5,010 minutes, 5,010 entries asked for.
    for (let i = 0; i < 5010; i += 1) recorder.record({ organizationId: org.organizationId, agentId: agent.id, keyId: key.keyId, reason: 'replayed_request', address: null }, new Date(start + i * 60_000));
    await recorder.close();
    const { rows } = await (await t.owner()).query(`select count(*)::int as n from agent_auth_failures where agent_id = $1 and reason = 'replayed_request'`, [agent.id]);
    assert.equal(rows[0].n, 5000);
    assert.deepEqual(warnings, [{ dropped: 10 }]);
  });
});
