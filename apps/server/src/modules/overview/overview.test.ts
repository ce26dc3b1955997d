import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { registerAgent, signedInject } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

forEachTarget('overview', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const send = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method: method as 'POST',
      url,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  it('counts agents by status and tier, decisions per hour, and what waits for a person, for this organization only', async () => {
    const empty = (await send('GET', '/api/v1/overview?hours=3', a.as.viewer.apiKey)).json();
    assert.deepEqual(empty.agents.byStatus, { active: 0, suspended: 0, revoked: 0 });
    assert.equal(empty.decisionsPerHour.length, 3);
    assert.ok(empty.decisionsPerHour.every((h: { allow: number; deny: number; pending: number }) => h.allow + h.deny + h.pending === 0));

    const one = await registerAgent(t, a.as.admin.apiKey);
    const two = await registerAgent(t, a.as.admin.apiKey);
    await registerAgent(t, b.as.admin.apiKey);
    assert.equal((await send('POST', `/api/v1/agents/${two.agent.id}/suspend`, a.as.admin.apiKey, {})).statusCode, 200);
    await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: 'db:read', riskLevel: 'low' });
    await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: 'payments:refund', riskLevel: 'high' });
    await send('POST', `/api/v1/agents/${one.agent.id}/grants`, a.as.admin.apiKey, { capability: 'db:read' });
    await send('POST', `/api/v1/agents/${one.agent.id}/grants`, a.as.admin.apiKey, { capability: 'payments:refund' });
    await send('POST', '/api/v1/policies', a.as.admin.apiKey, { name: 'ask', type: 'require_approval', config: { minRisk: 'high' } });
    const verify = (action: string) => signedInject(t, one.key, { method: 'POST', url: `/api/v1/agents/${one.agent.id}/verify-action`, body: JSON.stringify({ action }) });
    assert.equal((await verify('db:read')).json().decision, 'allow');
    assert.equal((await verify('db:read')).json().decision, 'allow');
    assert.equal((await verify('email:send')).json().decision, 'deny');
    assert.equal((await verify('payments:refund')).json().decision, 'pending');
    assert.equal((await send('POST', `/api/v1/agents/${one.agent.id}/capability-requests`, a.as.admin.apiKey, { capability: 'db:read', reason: 'more' })).statusCode, 201);

    const hourBefore = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const res = await send('GET', '/api/v1/overview?hours=2', a.as.viewer.apiKey);
    const hourAfter = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    assert.equal(res.statusCode, 200, res.body);
    const o = res.json();
    assert.deepEqual(o.agents.byStatus, { active: 1, suspended: 1, revoked: 0 });
    const tiers = Object.values(o.agents.byTier as Record<string, number>).reduce((s, n) => s + n, 0);
    assert.equal(tiers, 2);
    assert.equal(o.decisionsPerHour.length, 2);
    // Summed over both hours: the decisions may straddle an hour's end.
    const sum = (k: 'allow' | 'deny' | 'pending') => o.decisionsPerHour.reduce((s: number, h: Record<string, number>) => s + h[k]!, 0);
    assert.deepEqual({ allow: sum('allow'), deny: sum('deny'), pending: sum('pending') }, { allow: 2, deny: 1, pending: 1 });
    assert.ok([hourBefore, hourAfter].map((h) => new Date(h).toISOString()).includes(o.decisionsPerHour.at(-1).hour));
    assert.equal(o.pendingApprovals, 1);
    assert.equal(o.pendingCapabilityRequests, 1);

    const other = (await send('GET', '/api/v1/overview', b.as.viewer.apiKey)).json();
    assert.deepEqual(other.agents.byStatus, { active: 1, suspended: 0, revoked: 0 });
    assert.equal(other.pendingApprovals, 0);
    assert.equal((await send('GET', '/api/v1/overview?hours=500', a.as.viewer.apiKey)).statusCode, 400);
  });

  it('reports the first steps (capability, enrollment token, agent, grant, decision) from real data, each as it happens', async () => {
    const c = await seedOrganization(t, 'C');
    const steps = async () => (await send('GET', '/api/v1/overview', c.as.viewer.apiKey)).json().gettingStarted;
    const none = { capability: false, enrollmentToken: false, agent: false, grant: false, decision: false };
    assert.deepEqual(await steps(), none, 'a new organization has done nothing, whatever the others did');

    assert.equal((await send('POST', '/api/v1/capabilities', c.as.admin.apiKey, { name: 'db:read', riskLevel: 'low' })).statusCode, 201);
    assert.deepEqual(await steps(), { ...none, capability: true });

    const token = await send('POST', '/api/v1/enrollment-tokens', c.as.member.apiKey, { name: 'first-bot', expiresInSeconds: 3600 });
    assert.equal(token.statusCode, 201, token.body);
    assert.equal((await send('DELETE', `/api/v1/enrollment-tokens/${token.json().enrollmentToken.id}`, c.as.member.apiKey)).statusCode, 200);
    assert.deepEqual(await steps(), { ...none, capability: true, enrollmentToken: true }, 'a revoked token still counts: the step was taken');

    const { agent, key } = await registerAgent(t, c.as.admin.apiKey);
    assert.deepEqual(await steps(), { ...none, capability: true, enrollmentToken: true, agent: true });

    const grant = await send('POST', `/api/v1/agents/${agent.id}/grants`, c.as.admin.apiKey, { capability: 'db:read' });
    assert.equal(grant.statusCode, 201, grant.body);
    assert.deepEqual(await steps(), { ...none, capability: true, enrollmentToken: true, agent: true, grant: true });

    const verify = await signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${agent.id}/verify-action`, body: JSON.stringify({ action: 'db:read' }) });
    assert.equal(verify.json().decision, 'allow');
    assert.deepEqual(await steps(), { capability: true, enrollmentToken: true, agent: true, grant: true, decision: true });

    // A suspended agent is not running, and its grants do not count until it is back.
    assert.equal((await send('POST', `/api/v1/agents/${agent.id}/suspend`, c.as.admin.apiKey, {})).statusCode, 200);
    assert.deepEqual(await steps(), { capability: true, enrollmentToken: true, agent: false, grant: false, decision: true });
    assert.equal((await send('POST', `/api/v1/agents/${agent.id}/reactivate`, c.as.admin.apiKey, {})).statusCode, 200);
    assert.equal((await steps()).grant, true);
    assert.equal((await send('DELETE', `/api/v1/agents/${agent.id}/grants/${grant.json().grant.id}`, c.as.admin.apiKey)).statusCode, 200);
    assert.equal((await steps()).grant, false, 'a revoked grant does not count');
  });
});
