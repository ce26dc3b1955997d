import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { challenge, newAgentKey, proofFor, registerAgent, signedInject } from '../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

forEachTarget('capabilities, grants and requests', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
    for (const [name, riskLevel] of [['db:read', 'low'], ['email:send', 'medium'], ['payments:refund', 'high']] as const) {
      const res = await send('POST', '/api/v1/capabilities', a.as.manager.apiKey, { name, riskLevel, description: `${name} for tests` });
      assert.equal(res.statusCode, 201, res.body);
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
  const code = (res: { json(): { error?: { code: string } } }) => res.json().error?.code;
  const auditActions = async (targetId: string) =>
    (await (await t.owner()).query<{ action: string }>('select action from audit_events where target_id = $1 order by occurred_at, id', [targetId])).rows.map((r) => r.action);

  it('keeps a catalog that managers edit and everyone reads, with duplicate and malformed names refused', async () => {
    const list = await send('GET', '/api/v1/capabilities', a.as.viewer.apiKey);
    assert.deepEqual(
      list.json().capabilities.map((c: { name: string; riskLevel: string }) => `${c.name}/${c.riskLevel}`),
      ['db:read/low', 'email:send/medium', 'payments:refund/high'],
    );
    assert.equal(code(await send('POST', '/api/v1/capabilities', a.as.manager.apiKey, { name: 'db:read', riskLevel: 'low' })), 'conflict');
    for (const name of ['DB:read', 'db', 'db:', ':read', 'db read', 'db:re*ad', `${'a'.repeat(40)}:${'b'.repeat(60)}`]) {
      assert.equal(code(await send('POST', '/api/v1/capabilities', a.as.manager.apiKey, { name, riskLevel: 'low' })), 'validation_failed', name);
    }
    assert.equal(code(await send('POST', '/api/v1/capabilities', a.as.manager.apiKey, { name: 'x:y', riskLevel: 'extreme' })), 'validation_failed');
    assert.equal(code(await send('POST', '/api/v1/capabilities', a.as.member.apiKey, { name: 'x:y', riskLevel: 'low' })), 'forbidden');
    // Another organization has its own catalog: the same name is free there, and A's ids are unknown.
    assert.equal((await send('POST', '/api/v1/capabilities', b.as.admin.apiKey, { name: 'db:read', riskLevel: 'critical' })).statusCode, 201);
    const aCap = list.json().capabilities[0].id as string;
    assert.equal((await send('GET', `/api/v1/capabilities/${aCap}`, b.as.admin.apiKey)).statusCode, 404);
    const changed = await send('PATCH', `/api/v1/capabilities/${aCap}`, a.as.admin.apiKey, { riskLevel: 'medium', description: null });
    assert.equal(changed.json().capability.riskLevel, 'medium');
    assert.equal(changed.json().capability.description, null);
    await send('PATCH', `/api/v1/capabilities/${aCap}`, a.as.admin.apiKey, { riskLevel: 'low' });
    assert.deepEqual(await auditActions(aCap), ['capability.create', 'capability.update', 'capability.update']);
  });

  it('grants a capability for a resource pattern and an expiry; agents and members cannot grant', async () => {
    const { agent, key } = await registerAgent(t, a.as.member.apiKey);
    const granted = await send('POST', `/api/v1/agents/${agent.id}/grants`, a.as.manager.apiKey, {
      capability: 'db:read',
      resourcePattern: 'customers/*',
      expiresInSeconds: 600,
    });
    assert.equal(granted.statusCode, 201, granted.body);
    const grant = granted.json().grant;
    assert.match(grant.id, /^grt_/);
    assert.equal(grant.capability, 'db:read');
    assert.equal(grant.resourcePattern, 'customers/*');
    assert.equal(grant.status, 'active');
    const ttl = (Date.parse(grant.expiresAt) - Date.parse(grant.createdAt)) / 1000;
    assert.ok(ttl >= 599 && ttl <= 601, `expiry ${ttl}s`);
    assert.deepEqual(grant.grantedBy, { type: 'api_key', id: a.as.manager.apiKeyId });

    assert.equal(code(await send('POST', `/api/v1/agents/${agent.id}/grants`, a.as.member.apiKey, { capability: 'db:read' })), 'forbidden');
    assert.equal(code(await send('POST', `/api/v1/agents/${agent.id}/grants`, a.as.manager.apiKey, { capability: 'db:write' })), 'unknown_capability');
    assert.equal(code(await send('POST', `/api/v1/agents/${agent.id}/grants`, a.as.manager.apiKey, { capability: 'db:read', resourcePattern: 'a/***' })), 'validation_failed');
    assert.equal(code(await send('POST', `/api/v1/agents/${agent.id}/grants`, a.as.manager.apiKey, { capability: 'db:read', expiresInSeconds: 5 })), 'validation_failed');
    assert.equal(code(await send('POST', `/api/v1/agents/${agent.id}/grants`, b.as.admin.apiKey, { capability: 'db:read' })), 'not_found');
    // An agent has no route to grant itself anything: its signature is not a person's credential.
    const self = await signedInject(t, key, { method: 'POST', url: `/api/v1/agents/${agent.id}/grants`, body: JSON.stringify({ capability: 'db:read' }) });
    assert.equal(self.statusCode, 401);

    const mine = await signedInject(t, key, { url: '/api/v1/agents/me/grants' });
    assert.deepEqual(mine.json().grants.map((g: { id: string }) => g.id), [grant.id]);

    const revoked = await send('DELETE', `/api/v1/agents/${agent.id}/grants/${grant.id}`, a.as.admin.apiKey);
    assert.equal(revoked.json().grant.status, 'revoked');
    assert.equal((await send('GET', `/api/v1/agents/${agent.id}/grants?status=active`, a.as.viewer.apiKey)).json().grants.length, 0);
    assert.equal((await send('GET', `/api/v1/agents/${agent.id}/grants?status=revoked`, a.as.viewer.apiKey)).json().grants.length, 1);
    assert.deepEqual(await auditActions(grant.id), ['capability_grant.create', 'capability_grant.revoke']);
    assert.equal((await signedInject(t, key, { url: '/api/v1/agents/me/grants' })).json().grants.length, 0);
  });

  it('announces a new request as capability.requested, once, and not an answer to an open one', async () => {
    const { agent } = await registerAgent(t, a.as.member.apiKey);
    const heard: { type: string; data: Record<string, unknown> }[] = [];
    const stop = await t.platform.domainEvents.listen((event) => {
      if (event.type === 'capability.requested' && event.data.agentId === agent.id) heard.push(event as never);
    });
    try {
      const asked = await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.member.apiKey, { capability: 'email:send', resourcePattern: 'lists/*', reason: 'Newsletters' });
      assert.equal(asked.statusCode, 201, asked.body);
      // Asking again answers the open request: no new event.
      assert.equal((await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.member.apiKey, { capability: 'email:send', reason: 'again' })).statusCode, 201);
      await t.platform.domainEvents.drain();
      for (let i = 0; i < 100 && heard.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(heard.length, 1);
      const request = asked.json().request;
      assert.deepEqual(heard[0]!.data, {
        requestId: request.id,
        agentId: agent.id,
        capabilityId: request.capabilityId,
        capabilityName: 'email:send',
        resourcePattern: 'lists/*',
        reason: 'Newsletters',
        requestedBy: { type: 'api_key', id: a.as.member.apiKeyId },
      });
    } finally {
      stop();
    }
  });

  it('lets an owner ask, a manager approve with a narrower pattern, and refuses a second answer', async () => {
    const { agent } = await registerAgent(t, a.as.member.apiKey);
    const asked = await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.member.apiKey, {
      capability: 'payments:refund',
      resourcePattern: 'orders/**',
      reason: 'Refund duplicate charges',
    });
    assert.equal(asked.statusCode, 201, asked.body);
    const request = asked.json().request;
    assert.equal(request.status, 'pending');
    assert.equal(request.riskLevel, 'high');
    // Asking again while it is open answers the open request.
    const again = await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.member.apiKey, { capability: 'payments:refund', reason: 'again' });
    assert.equal(again.json().request.id, request.id);
    // Another member does not own the agent; a viewer may not ask at all.
    const other = await registerAgent(t, a.as.admin.apiKey);
    assert.equal(code(await send('POST', `/api/v1/agents/${other.agent.id}/capability-requests`, a.as.member.apiKey, { capability: 'db:read', reason: 'x' })), 'forbidden');
    assert.equal(code(await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.viewer.apiKey, { capability: 'db:read', reason: 'x' })), 'forbidden');
    assert.equal(code(await send('POST', `/api/v1/capability-requests/${request.id}/approve`, a.as.member.apiKey, {})), 'forbidden');

    const pending = await send('GET', `/api/v1/capability-requests?status=pending&agentId=${agent.id}`, a.as.viewer.apiKey);
    assert.deepEqual(pending.json().requests.map((r: { id: string }) => r.id), [request.id]);

    const approved = await send('POST', `/api/v1/capability-requests/${request.id}/approve`, a.as.manager.apiKey, {
      resourcePattern: 'orders/eu/*',
      expiresInSeconds: 3600,
      note: 'EU only',
    });
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().request.status, 'approved');
    assert.equal(approved.json().request.note, 'EU only');
    const grants = (await send('GET', `/api/v1/agents/${agent.id}/grants`, a.as.viewer.apiKey)).json().grants;
    assert.equal(grants.length, 1);
    assert.equal(grants[0].id, approved.json().request.grantId);
    assert.equal(grants[0].resourcePattern, 'orders/eu/*');
    assert.equal(grants[0].requestId, request.id);
    assert.ok(grants[0].expiresAt);

    assert.equal(code(await send('POST', `/api/v1/capability-requests/${request.id}/approve`, a.as.manager.apiKey, {})), 'request_not_pending');
    assert.equal(code(await send('POST', `/api/v1/capability-requests/${request.id}/reject`, a.as.manager.apiKey, { note: 'late' })), 'request_not_pending');
    assert.equal(code(await send('POST', `/api/v1/capability-requests/${request.id}/approve`, b.as.admin.apiKey, {})), 'not_found');
    assert.deepEqual(await auditActions(request.id), ['capability_request.create', 'capability_request.approve']);

    const rejectMe = await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.member.apiKey, { capability: 'email:send', reason: 'newsletters' });
    assert.equal(code(await send('POST', `/api/v1/capability-requests/${rejectMe.json().request.id}/reject`, a.as.manager.apiKey, {})), 'validation_failed');
    const rejected = await send('POST', `/api/v1/capability-requests/${rejectMe.json().request.id}/reject`, a.as.manager.apiKey, { note: 'use the mail queue' });
    assert.equal(rejected.json().request.status, 'rejected');
    assert.equal(rejected.json().request.grantId, null);
  });

  it('takes a signed request from the agent itself and expires requests nobody answers', async () => {
    const { agent, key } = await registerAgent(t, a.as.member.apiKey);
    const body = JSON.stringify({ capability: 'email:send', reason: 'Send the weekly report' });
    const asked = await signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/capability-requests', body });
    assert.equal(asked.statusCode, 201, asked.body);
    assert.deepEqual(asked.json().request.requestedBy, { type: 'agent', id: agent.id });
    const unknown = await signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/capability-requests', body: JSON.stringify({ capability: 'nope:x', reason: 'r' }) });
    assert.equal(code(unknown), 'unknown_capability');

    // Age the request past its expiry: it reads as expired and can no longer be approved.
    await (await t.owner()).query(`update capability_requests set created_at = now() - interval '8 days', expires_at = now() - interval '1 day' where id = $1`, [asked.json().request.id]);
    const mine = await signedInject(t, key, { url: '/api/v1/agents/me/capability-requests' });
    assert.equal(mine.json().requests[0].status, 'expired');
    assert.equal(code(await send('POST', `/api/v1/capability-requests/${asked.json().request.id}/approve`, a.as.admin.apiKey, {})), 'request_not_pending');
    const expired = await t.app.services.capabilities.expireRequests({ ...SYSTEM_CONTEXT, requestId: 'job:test' }, a.organizationId);
    assert.ok(expired >= 1);
    assert.deepEqual(await auditActions(asked.json().request.id), ['capability_request.create', 'capability_request.expire']);
    // A new request may be opened once the old one has expired.
    const reopened = await signedInject(t, key, { method: 'POST', url: '/api/v1/agents/me/capability-requests', body });
    assert.notEqual(reopened.json().request.id, asked.json().request.id);
  });

  it('turns capabilities declared at self-registration into requests, or grants low-risk ones when the organization says so', async () => {
    const enroll = async (capabilities: string[]) => {
      const created = await send('POST', '/api/v1/enrollment-tokens', a.as.member.apiKey, { name: `enr-${Math.random().toString(36).slice(2, 8)}`, capabilities });
      const key = newAgentKey();
      const c = await challenge(t);
      const res = await send('POST', '/api/v1/agents/enroll', {}, { enrollmentToken: created.json().token, publicKey: key.x, challenge: c, proof: proofFor(key, 'register', c) });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().agent.id as string;
    };
    const first = await enroll(['db:read', 'payments:refund', 'ghost:cap']);
    const requests = (await send('GET', `/api/v1/capability-requests?agentId=${first}`, a.as.viewer.apiKey)).json().requests;
    assert.deepEqual(requests.map((r: { capability: string; status: string }) => `${r.capability}/${r.status}`).sort(), ['db:read/pending', 'payments:refund/pending']);
    assert.deepEqual(requests[0].requestedBy, { type: 'agent', id: first });
    assert.ok((await auditActions(first)).includes('agent.capabilities_skipped'), 'the unknown capability is reported');

    assert.equal((await send('PATCH', '/api/v1/organization', a.as.admin.apiKey, { autoApproveLowRiskCapabilities: true })).json().autoApproveLowRiskCapabilities, true);
    const second = await enroll(['db:read', 'payments:refund']);
    const grants = (await send('GET', `/api/v1/agents/${second}/grants`, a.as.viewer.apiKey)).json().grants;
    assert.deepEqual(grants.map((g: { capability: string; grantedBy: { type: string } }) => `${g.capability}/${g.grantedBy.type}`), ['db:read/system']);
    const open = (await send('GET', `/api/v1/capability-requests?agentId=${second}`, a.as.viewer.apiKey)).json().requests;
    assert.deepEqual(open.map((r: { capability: string }) => r.capability), ['payments:refund']);
    await send('PATCH', '/api/v1/organization', a.as.admin.apiKey, { autoApproveLowRiskCapabilities: false });
  });

  it('keeps a granted capability in the catalog, and removes one never granted', async () => {
    const grantedCap = (await send('GET', '/api/v1/capabilities', a.as.viewer.apiKey)).json().capabilities.find((c: { name: string }) => c.name === 'db:read');
    assert.equal(code(await send('DELETE', `/api/v1/capabilities/${grantedCap.id}`, a.as.admin.apiKey)), 'capability_in_use');
    // Requests are history too: asked for once, a capability stays.
    const asked = await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: 'tmp:asked', riskLevel: 'low' });
    const { agent } = await registerAgent(t, a.as.admin.apiKey);
    await send('POST', `/api/v1/agents/${agent.id}/capability-requests`, a.as.admin.apiKey, { capability: 'tmp:asked', reason: 'r' });
    assert.equal(code(await send('DELETE', `/api/v1/capabilities/${asked.json().capability.id}`, a.as.admin.apiKey)), 'capability_in_use');
    const longest = await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: `${'a'.repeat(40)}:${'b'.repeat(59)}`, riskLevel: 'low' });
    assert.equal(longest.statusCode, 201, 'a 100-character name is the longest');
    const fresh = await send('POST', '/api/v1/capabilities', a.as.admin.apiKey, { name: 'tmp:thing', riskLevel: 'low' });
    const removed = await send('DELETE', `/api/v1/capabilities/${fresh.json().capability.id}`, a.as.admin.apiKey);
    assert.equal(removed.statusCode, 200);
    assert.equal((await send('GET', `/api/v1/capabilities/${fresh.json().capability.id}`, a.as.admin.apiKey)).statusCode, 404);
  });
});

