import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { agentToken, registerAgent, signedInject, type TestAgentKey } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { acrossInstances, createTestApp, type TestApp } from '../../testing/test-app.js';

interface Reason {
  rule: string;
  effect: string;
  policyId: string | null;
  policyVersion: number | null;
  mode: string | null;
  message: string;
}

forEachTarget('decisions (verify-action)', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    for (const [name, riskLevel] of [['db:read', 'low'], ['email:send', 'medium'], ['payments:refund', 'high'], ['infra:destroy', 'critical']] as const) {
      assert.equal((await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name, riskLevel })).statusCode, 201);
    }
  });
  after(() => t?.close());

  function send(method: string, url: string, headers: Record<string, string>, payload?: unknown) {
    return t.app.inject({
      method: method as 'POST',
      url,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  }
  const admin = () => a.as.admin.apiKey;
  const verify = (key: TestAgentKey, agentId: string, body: Record<string, unknown>) =>
    signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${agentId}/verify-action`, body: JSON.stringify(body) });
  const grant = (agentId: string, capability: string, extra: Record<string, unknown> = {}) =>
    send('POST', `/api/v1/agents/${agentId}/grants`, admin(), { capability, ...extra });
  const policy = async (body: Record<string, unknown>) => {
    const res = await send('POST', '/api/v1/policies', admin(), body);
    assert.equal(res.statusCode, 201, res.body);
    return res.json().policy as { id: string; version: number };
  };
  /** A fresh agent, so policies scoped to it do not touch the other tests. */
  const fresh = async (...capabilities: string[]) => {
    const { agent, key } = await registerAgent(t, a.as.member.apiKey);
    for (const c of capabilities) assert.equal((await grant(agent.id, c)).statusCode, 201);
    return { id: agent.id, key };
  };
  const owner = () => t.owner();
  const stored = async (id: string) => (await (await owner()).query('select * from verification_events where id = $1', [id])).rows[0];
  const auditOf = async (id: string) =>
    (await (await owner()).query<{ action: string; actor_type: string; outcome: string }>('select action, actor_type, outcome from audit_events where target_id = $1 order by occurred_at, id', [id])).rows;

  it('denies without a grant, allows with one whose pattern covers the resource, and stores every answer with its audit event', async () => {
    const { agent, key } = await registerAgent(t, a.as.member.apiKey);
    const denied = await verify(key, agent.id, { action: 'db:read', resource: 'customers/42' });
    assert.equal(denied.statusCode, 200, denied.body);
    assert.equal(denied.json().decision, 'deny');
    assert.match(denied.json().decisionId, /^dec_/);
    const base = denied.json().reasons.find((r: Reason) => r.rule === 'capability_required');
    assert.equal(base.effect, 'deny');
    assert.equal(base.policyId, null, 'the built-in rule');

    await grant(agent.id, 'db:read', { resourcePattern: 'customers/*' });
    const allowed = await verify(key, agent.id, { action: 'db:read', resource: 'customers/42', context: { records: 1 } });
    assert.equal(allowed.json().decision, 'allow');
    assert.equal(allowed.json().risk, 'low');
    assert.ok(allowed.json().reasons.some((r: Reason & { grantId?: string }) => r.rule === 'capability_required' && r.effect === 'allow' && r.grantId?.startsWith('grt_')));
    const outside = await verify(key, agent.id, { action: 'db:read', resource: 'customers/42/notes' });
    assert.equal(outside.json().decision, 'deny', '* does not cross /');

    const row = await stored(allowed.json().decisionId);
    assert.equal(row.decision, 'allow');
    assert.equal(row.agent_id, agent.id);
    assert.deepEqual(row.context, { records: 1 });
    assert.equal(row.authenticated_by, 'signature');
    assert.deepEqual(await auditOf(allowed.json().decisionId), [{ action: 'decision.allow', actor_type: 'agent', outcome: 'success' }]);
    assert.deepEqual(await auditOf(denied.json().decisionId), [{ action: 'decision.deny', actor_type: 'agent', outcome: 'denied' }], 'a refused action is recorded as denied');

    const violations = (await send('GET', `/api/v1/violations?agentId=${agent.id}`, a.as.viewer.apiKey)).json().violations;
    assert.deepEqual(violations.map((v: { decisionId: string; rule: string }) => `${v.decisionId}/${v.rule}`).sort(), [
      `${denied.json().decisionId}/capability_required`,
      `${outside.json().decisionId}/capability_required`,
    ].sort());
  });

  it('announces decisions and violations as domain events, and takes an agent token as well as a signature', async () => {
    const { id, key } = await fresh('db:read');
    const heard: { type: string; data: Record<string, unknown> }[] = [];
    // The decision's own events (the registration's trust.changed may still be on its way: delivery follows the commit).
    const stop = await t.platform.domainEvents.listen((event) => {
      if ((event.type === 'decision.created' || event.type === 'violation.recorded') && event.data.agentId === id) heard.push(event as never);
    });
    try {
      const token = await agentToken(t, key);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/agents/${id}/verify-action`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ action: 'email:send', resource: 'x' }),
      });
      assert.equal(res.json().decision, 'deny');
      assert.equal((await stored(res.json().decisionId)).authenticated_by, 'token');
      for (let i = 0; i < 50 && heard.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(heard.map((e) => e.type).sort(), ['decision.created', 'violation.recorded']);
      const violation = heard.find((e) => e.type === 'violation.recorded')!;
      assert.equal(violation.data.decisionId, res.json().decisionId);
      assert.equal(violation.data.rule, 'capability_required');
      assert.equal(violation.data.severity, 'medium');
    } finally {
      stop();
    }
  });

  it('denies an action outside the catalog, and answers bad requests with their codes', async () => {
    const { id, key } = await fresh();
    const unknown = await verify(key, id, { action: 'rockets:launch' });
    assert.equal(unknown.json().decision, 'deny');
    assert.deepEqual(unknown.json().reasons.map((r: Reason) => r.rule), ['unknown_capability']);
    assert.equal(unknown.json().risk, null);
    assert.equal((await verify(key, id, { action: 'Not An Action' })).json().error.code, 'validation_failed');
    assert.equal((await verify(key, id, { action: 'db:read', context: { blob: 'x'.repeat(9000) } })).json().error.code, 'validation_failed');
    assert.equal((await verify(key, id, { action: 'db:read', context: { blob: 'é'.repeat(5000) } })).json().error.code, 'validation_failed', '8 KiB of UTF-8, not of characters');
    assert.equal((await verify(key, id, { action: 'db:read', risk: 'extreme' })).json().error.code, 'validation_failed');
    // Text PostgreSQL cannot store is refused up front, never a 500 (which an agent might fail open on).
    for (const context of [{ note: 'a\u0000b' }, { ['\ud800']: 1 }, { deep: ['x\udc00'] }]) {
      const res = await verify(key, id, { action: 'db:read', context });
      assert.equal(res.json().error?.code, 'validation_failed', JSON.stringify(context));
    }
    const other = await fresh();
    assert.equal((await verify(key, other.id, { action: 'db:read' })).json().error.code, 'agent_mismatch');
    const bAgent = await registerAgent(t, b.as.admin.apiKey);
    assert.equal((await verify(key, bAgent.agent.id, { action: 'db:read' })).json().error.code, 'not_found');
    // People cannot ask in an agent's name.
    assert.equal((await send('POST', `/api/v1/agents/${id}/verify-action`, admin(), { action: 'db:read' })).statusCode, 403);
  });

  it('applies policies in order: enforced deny wins, monitor flags without blocking, and reasons name the version used', async () => {
    const { id, key } = await fresh('db:read', 'email:send');
    const deny = await policy({ name: `no-secrets-${id}`, type: 'resource_deny', scope: { agentIds: [id] }, config: { resources: ['secrets/**'] } });
    const watch = await policy({ name: `watch-volume-${id}`, type: 'data_volume', mode: 'monitor', scope: { agentIds: [id] }, config: { field: 'records', max: 100 } });

    const blocked = await verify(key, id, { action: 'db:read', resource: 'secrets/prod/db' });
    assert.equal(blocked.json().decision, 'deny');
    const denyReason = blocked.json().reasons.find((r: Reason) => r.rule === 'resource_deny');
    assert.deepEqual([denyReason.effect, denyReason.policyId, denyReason.policyVersion, denyReason.mode], ['deny', deny.id, 1, 'enforce']);

    const flagged = await verify(key, id, { action: 'email:send', resource: 'reports/weekly', context: { records: 5000 } });
    assert.equal(flagged.json().decision, 'allow', 'monitor mode never blocks');
    const flag = flagged.json().reasons.find((r: Reason) => r.rule === 'data_volume');
    assert.deepEqual([flag.effect, flag.policyId, flag.mode], ['flag', watch.id, 'monitor']);
    assert.equal((await stored(flagged.json().decisionId)).flagged, true);

    // Enforcing it makes version 2; the next decision uses and names it.
    const updated = await send('PATCH', `/api/v1/policies/${watch.id}`, admin(), { mode: 'enforce' });
    assert.equal(updated.json().policy.version, 2);
    const now = await verify(key, id, { action: 'email:send', resource: 'reports/weekly', context: { records: 5000 } });
    assert.equal(now.json().decision, 'deny');
    const enforced = now.json().reasons.find((r: Reason) => r.rule === 'data_volume');
    assert.deepEqual([enforced.effect, enforced.policyVersion], ['deny', 2]);
    const history = await send('GET', `/api/v1/decisions?agentId=${id}&flagged=true`, a.as.viewer.apiKey);
    assert.deepEqual(history.json().decisions.map((d: { id: string }) => d.id), [flagged.json().decisionId]);
  });

  it('counts a rate limit per agent and action', async () => {
    const { id, key } = await fresh('db:read', 'email:send');
    await policy({ name: `rate-${id}`, type: 'rate_limit', scope: { agentIds: [id] }, config: { limit: 2, windowSeconds: 60 } });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push((await verify(key, id, { action: 'db:read' })).json().decision);
    assert.deepEqual(answers, ['allow', 'allow', 'deny']);
    assert.equal((await verify(key, id, { action: 'email:send' })).json().decision, 'allow', 'another action has its own count');
  });

  it('waits for a person: approval turns pending into allow, rejection and expiry into deny', async () => {
    const { id, key } = await fresh('payments:refund');
    await policy({ name: `ask-${id}`, type: 'require_approval', scope: { agentIds: [id] }, config: { minRisk: 'high' } });
    const asked = await verify(key, id, { action: 'payments:refund', resource: 'orders/1' });
    assert.equal(asked.json().decision, 'pending');
    assert.ok(asked.json().expiresAt);
    const decisionId = asked.json().decisionId as string;
    const open = (await send('GET', `/api/v1/decisions?status=pending&agentId=${id}`, a.as.viewer.apiKey)).json().decisions;
    assert.deepEqual(open.map((d: { id: string }) => d.id), [decisionId]);

    // The agent long-polls; the answer arrives when the manager approves, not when the wait ends.
    const started = Date.now();
    const polled = signedInject(t, key, { url: `/api/v1/decisions/${decisionId}?wait=20` });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(code(await send('POST', `/api/v1/decisions/${decisionId}/approve`, a.as.member.apiKey, {})), 'forbidden');
    const approved = await send('POST', `/api/v1/decisions/${decisionId}/approve`, a.as.manager.apiKey, { note: 'ok for order 1' });
    assert.equal(approved.statusCode, 200, approved.body);
    const answer = await polled;
    assert.equal(answer.json().decision.decision, 'allow');
    assert.equal(answer.json().decision.status, 'approved');
    assert.ok(Date.now() - started < 15_000, 'the long poll ended with the approval');
    assert.equal(code(await send('POST', `/api/v1/decisions/${decisionId}/reject`, a.as.manager.apiKey, {})), 'decision_not_pending');
    assert.deepEqual((await auditOf(decisionId)).map((e) => e.action), ['decision.pending', 'decision.approve']);

    const second = (await verify(key, id, { action: 'payments:refund', resource: 'orders/2' })).json().decisionId;
    const rejected = await send('POST', `/api/v1/decisions/${second}/reject`, a.as.admin.apiKey, { note: 'not this one' });
    assert.deepEqual([rejected.json().decision.decision, rejected.json().decision.status, rejected.json().decision.note], ['deny', 'rejected', 'not this one']);

    const third = (await verify(key, id, { action: 'payments:refund', resource: 'orders/3' })).json().decisionId;
    await (await owner()).query(`update verification_events set expires_at = now() - interval '1 second' where id = $1`, [third]);
    const late = await signedInject(t, key, { url: `/api/v1/decisions/${third}` });
    assert.deepEqual([late.json().decision.decision, late.json().decision.status], ['deny', 'expired']);
    assert.equal(code(await send('POST', `/api/v1/decisions/${third}/approve`, a.as.admin.apiKey, {})), 'decision_not_pending');

    const fourth = (await verify(key, id, { action: 'payments:refund', resource: 'orders/4' })).json().decisionId;
    await (await owner()).query(`update verification_events set expires_at = now() - interval '1 second' where id = $1`, [fourth]);
    // Past its expiry but not closed yet: listed and read as expired, not as an open approval.
    const listed = async (query: string) =>
      (await send('GET', `/api/v1/decisions?agentId=${id}&${query}`, a.as.viewer.apiKey)).json().decisions.map((d: { id: string; status: string }) => `${d.id}/${d.status}`);
    assert.ok(!(await listed('status=pending')).some((d: string) => d.startsWith(fourth)));
    assert.ok((await listed('status=expired')).includes(`${fourth}/expired`));
    assert.ok((await t.app.services.decisions.expirePending({ ...SYSTEM_CONTEXT, requestId: 'job:test' }, a.organizationId)) >= 1);
    assert.equal((await stored(fourth)).status, 'expired');
    assert.deepEqual((await auditOf(fourth)).map((e) => `${e.action}/${e.actor_type}`), ['decision.pending/agent', 'decision.expire/system']);
  });

  describe('an approval re-evaluates the decision as of the approval', () => {
    /** A fresh agent whose high-risk refunds wait for a person, with one pending decision for orders/1. */
    const pendingRefund = async (extraPolicies: Record<string, unknown>[] = []) => {
      const { agent, key } = await registerAgent(t, a.as.member.apiKey);
      const granted = await grant(agent.id, 'payments:refund');
      assert.equal(granted.statusCode, 201, granted.body);
      await policy({ name: `ask-${agent.id}`, type: 'require_approval', scope: { agentIds: [agent.id] }, config: { minRisk: 'high' } });
      for (const p of extraPolicies) await policy({ ...p, scope: { agentIds: [agent.id] } });
      const asked = await verify(key, agent.id, { action: 'payments:refund', resource: 'orders/1' });
      assert.equal(asked.json().decision, 'pending', asked.body);
      return { id: agent.id, key, grantId: granted.json().grant.id as string, decisionId: asked.json().decisionId as string };
    };
    /** Approve, expecting the refusal; then check what the decision, its audit trail and its violations say. */
    const approveRefused = async (decisionId: string, rule: string) => {
      const res = await send('POST', `/api/v1/decisions/${decisionId}/approve`, a.as.manager.apiKey, { note: 'looked fine when asked' });
      assert.equal(res.statusCode, 409, res.body);
      const { error } = res.json();
      assert.equal(error.code, 'decision_no_longer_allowed');
      assert.equal(error.details.decisionId, decisionId);
      assert.ok(error.details.rules.split(',').includes(rule), error.details.rules);
      const read = (await send('GET', `/api/v1/decisions/${decisionId}`, a.as.viewer.apiKey)).json().decision;
      assert.deepEqual([read.decision, read.status, read.note], ['deny', 'invalidated', 'looked fine when asked']);
      assert.deepEqual(read.resolvedBy, { type: 'api_key', id: a.as.manager.apiKeyId });
      assert.ok(read.approvalReasons.some((r: Reason) => r.rule === rule && r.effect === 'deny'), JSON.stringify(read.approvalReasons));
      assert.ok(read.reasons.every((r: Reason) => r.effect !== 'deny'), 'the reasons of the question are kept as they were');
      assert.deepEqual((await auditOf(decisionId)).map((e) => `${e.action}/${e.actor_type}`), ['decision.pending/agent', 'decision.invalidate/api_key']);
      const violations = (await (await owner()).query('select count(*) from violations where decision_id = $1', [decisionId])).rows[0].count;
      assert.equal(Number(violations), 0, 'what changed since was not the agent\'s doing');
      assert.equal(code(await send('POST', `/api/v1/decisions/${decisionId}/approve`, a.as.manager.apiKey, {})), 'decision_not_pending');
      return read;
    };

    it('still allows when nothing that matters changed, and records why', async () => {
      const { decisionId, grantId } = await pendingRefund();
      const approved = await send('POST', `/api/v1/decisions/${decisionId}/approve`, a.as.manager.apiKey, {});
      assert.equal(approved.statusCode, 200, approved.body);
      const { decision } = approved.json();
      assert.deepEqual([decision.decision, decision.status], ['allow', 'approved']);
      assert.deepEqual(
        decision.approvalReasons.map((r: Reason & { grantId?: string }) => [r.rule, r.effect, r.grantId ?? null]),
        [['capability_required', 'allow', grantId], ['require_approval', 'approval', null]],
      );
      await t.platform.auditSequencer.drain(a.organizationId);
      const details = (await (await owner()).query(`select details from audit_events where target_id = $1 and action = 'decision.approve'`, [decisionId])).rows[0].details;
      assert.equal(typeof details.policyRevision, 'number');
      assert.deepEqual(details.rules.map((r: { rule: string }) => r.rule), ['capability_required', 'require_approval']);
    });

    it('refuses when the grant was revoked while the decision waited, and the waiting agent learns it', async () => {
      const { id, key, grantId, decisionId } = await pendingRefund();
      const polled = signedInject(t, key, { url: `/api/v1/decisions/${decisionId}?wait=20` });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await send('DELETE', `/api/v1/agents/${id}/grants/${grantId}`, admin())).statusCode, 200);
      await approveRefused(decisionId, 'capability_required');
      const answer = (await polled).json().decision;
      assert.deepEqual([answer.decision, answer.status], ['deny', 'invalidated']);
    });

    it('refuses when the agent was suspended', async () => {
      const { id, decisionId } = await pendingRefund();
      assert.equal((await send('POST', `/api/v1/agents/${id}/suspend`, a.as.manager.apiKey, {})).statusCode, 200);
      const read = await approveRefused(decisionId, 'agent_status');
      assert.equal(read.approvalReasons[0].message, 'agent is suspended');
    });

    it('refuses when a policy was tightened (the resource now denied)', async () => {
      const { id, decisionId } = await pendingRefund();
      await policy({ name: `deny-orders-${id}`, type: 'resource_deny', scope: { agentIds: [id] }, config: { resources: ['orders/*'] } });
      await approveRefused(decisionId, 'resource_deny');
    });

    it('refuses when the trust score fell below the minimum', async () => {
      const { id, decisionId } = await pendingRefund([{ name: `trust-${randomUUID()}`, type: 'min_trust', config: { minimums: { high: 50 } } }]);
      await (await owner()).query('update agents set trust_score = 20 where id = $1', [id]);
      const read = await approveRefused(decisionId, 'min_trust');
      assert.match(read.approvalReasons.find((r: Reason) => r.rule === 'min_trust').message, /trust score 20 is below the minimum 50/);
    });

    it('does not count the request against a rate limit again', async () => {
      const { decisionId } = await pendingRefund([{ name: `rate-${randomUUID()}`, type: 'rate_limit', config: { limit: 1, windowSeconds: 3600 } }]);
      const approved = await send('POST', `/api/v1/decisions/${decisionId}/approve`, a.as.manager.apiKey, {});
      assert.equal(approved.statusCode, 200, approved.body);
      assert.ok(!approved.json().decision.approvalReasons.some((r: Reason) => r.rule === 'rate_limit'));
    });
  });

  it('lets the agent withdraw a pending decision, which no approval can change afterwards', async () => {
    const { id, key } = await fresh('payments:refund');
    await policy({ name: `ask-w-${id}`, type: 'require_approval', scope: { agentIds: [id] }, config: { minRisk: 'high' } });
    const decisionId = (await verify(key, id, { action: 'payments:refund' })).json().decisionId as string;
    const other = await fresh();
    const withdraw = (k: TestAgentKey) => signedInject(t, k, { method: 'POST', url: `/api/v1/decisions/${decisionId}/withdraw` });
    assert.equal(code(await withdraw(other.key)), 'not_found');
    assert.equal((await send('POST', `/api/v1/decisions/${decisionId}/withdraw`, admin())).statusCode, 403, 'people approve or reject; only the agent withdraws');
    const withdrawn = await withdraw(key);
    assert.deepEqual([withdrawn.json().decision.decision, withdrawn.json().decision.status], ['deny', 'withdrawn']);
    assert.equal(code(await withdraw(key)), 'decision_not_pending');
    assert.equal(code(await send('POST', `/api/v1/decisions/${decisionId}/approve`, admin(), {})), 'decision_not_pending');
    assert.deepEqual((await auditOf(decisionId)).map((e) => `${e.action}/${e.actor_type}`), ['decision.pending/agent', 'decision.withdraw/agent']);
  });

  it('takes one outcome report for an allowed action, and keeps decisions to their agent and organization', async () => {
    const { id, key } = await fresh('db:read');
    const allowed = (await verify(key, id, { action: 'db:read' })).json().decisionId;
    const report = (decisionId: string, k = key) =>
      signedInject(t, k, { method: 'POST', url: `/api/v1/decisions/${decisionId}/result`, body: JSON.stringify({ status: 'success', durationMs: 42.5 }) });
    const reported = await report(allowed);
    assert.equal(reported.statusCode, 200, reported.body);
    assert.deepEqual([reported.json().decision.result.status, reported.json().decision.result.durationMs], ['success', 42.5]);
    assert.equal(code(await report(allowed)), 'result_not_expected');
    const denied = (await verify(key, id, { action: 'email:send' })).json().decisionId;
    assert.equal(code(await report(denied)), 'result_not_expected');

    const other = await fresh();
    assert.equal(code(await report(allowed, other.key)), 'not_found');
    assert.equal((await signedInject(t, other.key, { url: `/api/v1/decisions/${allowed}` })).statusCode, 404, "another agent's decision");
    assert.equal((await send('GET', `/api/v1/decisions/${allowed}`, b.as.admin.apiKey)).statusCode, 404, "another organization's decision");
    assert.equal((await send('GET', `/api/v1/decisions/${allowed}`, a.as.viewer.apiKey)).json().decision.result.status, 'success');
  });

  it('pages through the history newest first', async () => {
    const { id, key } = await fresh('db:read');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await verify(key, id, { action: 'db:read', resource: `r/${i}` })).json().decisionId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { decisions: { id: string }[]; nextCursor: string | null } = (
        await send('GET', `/api/v1/decisions?agentId=${id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, a.as.viewer.apiKey)
      ).json();
      seen.push(...page.decisions.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    assert.equal(code(await send('GET', '/api/v1/decisions?cursor=nonsense', a.as.viewer.apiKey)), 'validation_failed');
    // An id of the right shape that AIM never made (u is not in the id alphabet) is unknown, not a crash.
    assert.equal(code(await send('GET', `/api/v1/decisions/dec_${'u'.repeat(26)}`, a.as.viewer.apiKey)), 'validation_failed');
    assert.equal(code(await send('GET', `/api/v1/decisions/dec_${'0'.repeat(26)}`, a.as.viewer.apiKey)), 'not_found');
  });

  it('answers an error, never an unrecorded allow, when the decision cannot be stored', async () => {
    const { id, key } = await fresh('db:read');
    const db = await owner();
    const now = new Date();
    const name = `verification_events_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const { rows } = await db.query<{ name: string; bounds: string }>(
      `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bounds from pg_class c where c.relname = $1`,
      [name],
    );
    const current = rows[0]!;
    await db.query(`alter table verification_events detach partition ${current.name}`);
    try {
      const res = await verify(key, id, { action: 'db:read' });
      assert.equal(res.statusCode, 500, res.body);
      assert.equal(res.json().error.code, 'internal_error');
      assert.equal(res.json().decision, undefined);
    } finally {
      await db.query(`alter table verification_events attach partition ${current.name} ${current.bounds}`);
    }
    assert.equal((await verify(key, id, { action: 'db:read' })).json().decision, 'allow');
  });

  function code(res: { json(): { error?: { code: string } } }) {
    return res.json().error?.code;
  }
});

acrossInstances('decisions across instances', (instances, skip) => {
  it('ends a long poll on one instance when a person approves on another', { skip }, async () => {
    const { a, b } = instances;
    const org = await seedOrganization(a);
    const post = (url: string, payload: unknown) =>
      a.app.inject({ method: 'POST', url, headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    await post('/api/v1/capabilities', { name: 'payments:refund', riskLevel: 'high' });
    await post('/api/v1/policies', { name: 'ask', type: 'require_approval', config: { minRisk: 'high' } });
    const { agent, key } = await registerAgent(a, org.as.member.apiKey);
    await post(`/api/v1/agents/${agent.id}/grants`, { capability: 'payments:refund' });
    const asked = await signedInject(a, key, { method: 'POST', url: `/api/v1/agents/${agent.id}/verify-action`, body: JSON.stringify({ action: 'payments:refund' }) });
    const decisionId = asked.json().decisionId as string;
    const started = Date.now();
    const polled = signedInject(b, key, { url: `/api/v1/decisions/${decisionId}?wait=20` });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await post(`/api/v1/decisions/${decisionId}/approve`, {})).statusCode, 200);
    const answer = await polled;
    assert.equal(answer.json().decision.status, 'approved');
    assert.ok(Date.now() - started < 15_000, 'instance B heard the approval made on instance A');
  });
});
