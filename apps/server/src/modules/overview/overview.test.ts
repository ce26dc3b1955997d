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
});
