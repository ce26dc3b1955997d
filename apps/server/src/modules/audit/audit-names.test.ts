import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { registerAgent, signedInject } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

interface Page {
  events: { id: string; action: string; actor: { type: string; id: string | null }; target: { type: string; id: string | null } | null; outcome: string; details: Record<string, unknown> }[];
  names: Record<string, string>;
}

forEachTarget('audit log: names of actors and targets', (target) => {
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
  const page = async (org: SeededOrganization, query = ''): Promise<Page> => {
    const res = await send('GET', `/api/v1/audit-logs?limit=100${query}`, org.as.admin.apiKey);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as Page;
  };
  const tag = (org: SeededOrganization) => org.organizationId.slice(-8);

  it('names the people, API keys, agents and capabilities the events are about, and a denied decision is recorded as denied', async () => {
    assert.equal((await send('POST', '/api/v1/capabilities', a.as.admin.session, { name: 'db:read', riskLevel: 'low' })).statusCode, 201);
    const { agent, key } = await registerAgent(t, a.as.manager.apiKey, { name: 'named-bot' });
    const denied = await signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${agent.id}/verify-action`, body: JSON.stringify({ action: 'db:read' }) });
    assert.equal(denied.json().decision, 'deny');

    const { events, names } = await page(a);
    const created = events.find((e) => e.action === 'capability.create')!;
    assert.equal(created.actor.type, 'user');
    assert.equal(names[created.actor.id!], `admin ${tag(a)}`, "the person's name, decrypted");
    assert.equal(names[created.target!.id!], 'db:read');

    const registered = events.find((e) => e.action === 'agent.register' && e.target?.id === agent.id)!;
    assert.deepEqual(registered.actor, { type: 'api_key', id: a.as.manager.apiKeyId });
    assert.equal(names[a.as.manager.apiKeyId], 'manager key');
    assert.equal(names[agent.id], 'named-bot');

    const decision = events.find((e) => e.target?.id === denied.json().decisionId)!;
    assert.equal(decision.action, 'decision.deny');
    assert.equal(decision.outcome, 'denied', 'not "success": the agent was refused');
    assert.equal(decision.details.agentId, agent.id, 'the agent a decision is about is named too');

    const outcomes = await page(a, '&outcome=denied');
    assert.ok(outcomes.events.some((e) => e.target?.id === denied.json().decisionId), 'the outcome filter finds it');
  });

  it('shows current names, drops a person who left, and never names another organization’s things', async () => {
    const { agent } = await registerAgent(t, a.as.admin.apiKey, { name: 'before-rename' });
    assert.equal((await send('PATCH', `/api/v1/agents/${agent.id}`, a.as.admin.apiKey, { name: 'after-rename' })).statusCode, 200);
    assert.equal((await page(a)).names[agent.id], 'after-rename', 'the name as it is now');

    assert.equal((await send('DELETE', `/api/v1/members/${a.as.viewer.userId}`, a.as.admin.apiKey)).statusCode, 200);
    const after = await page(a);
    assert.ok(after.events.some((e) => e.target?.id === a.as.viewer.userId), 'the removal is in the log');
    assert.equal(after.names[a.as.viewer.userId], undefined, 'a person who left is shown by id only');

    const { agent: theirs } = await registerAgent(t, b.as.admin.apiKey, { name: 'their-bot' });
    // An event of A that names B's agent, B's admin and B's API key (as a refused attempt could): A's page
    // carries those ids, and must still not name them.
    await t.platform.db.transaction({ organizationId: a.organizationId }, (tx) =>
      recordAuditEvent(tx, { ...SYSTEM_CONTEXT, actor: { type: 'api_key', id: b.as.admin.apiKeyId } }, {
        action: 'agent.read',
        outcome: 'denied',
        target: { type: 'agent', id: theirs.id },
        details: { agentId: b.as.admin.userId },
      }),
    );
    const ours = await page(a);
    const foreign = ours.events.find((e) => e.target?.id === theirs.id);
    assert.ok(foreign, "the event naming B's things is on A's page");
    assert.deepEqual([foreign.actor.id, foreign.details.agentId], [b.as.admin.apiKeyId, b.as.admin.userId]);
    assert.equal(ours.names[theirs.id], undefined);
    assert.equal(ours.names[b.as.admin.userId], undefined);
    assert.equal(ours.names[b.as.admin.apiKeyId], undefined);
    const theirPage = await page(b);
    assert.equal(theirPage.names[theirs.id], 'their-bot');
    assert.ok(!Object.keys(theirPage.names).some((id) => id === agent.id || id === a.as.admin.userId || id === a.as.admin.apiKeyId));
  });
});
