import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainEvent } from '../../../platform/events/domain-events.js';
import { raiseAlert } from '../../../testing/alert-rows.js';
import { registerAgent, signedInject, type TestAgentKey } from '../../../testing/agent-fixtures.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { autoSuspensionSubscription, SUSPENSION_NOTE_PREFIX } from './auto-suspension.js';

/**
 * Automatic suspension on a critical alert (docs/monitoring.md): only for organizations that opted in,
 * only critical alerts about an active agent; the agents module's own suspension as the system
 * (audited, cache invalidated), a note on the alert, and a person reactivates.
 */
forEachTarget('monitoring: automatic suspension on critical alerts', (target) => {
  let t: TestApp;
  let optedIn: SeededOrganization;
  let optedOut: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    optedIn = await seedOrganization(t, 'Strict');
    optedOut = await seedOrganization(t, 'Lenient');
    // The settings document as the settings API stores it (modules/monitoring/settings).
    await t.platform.db.transaction({ organizationId: optedIn.organizationId }, (tx) =>
      tx.query(`insert into monitoring_settings (organization_id, settings, updated_by_type, updated_by_id) values ($1, $2, 'user', $3)`, [
        optedIn.organizationId,
        JSON.stringify({ autoSuspendOnCritical: true }),
        optedIn.as.admin.userId,
      ]),
    );
  });
  after(() => t?.close());

  const agentOf = async (org: SeededOrganization) => {
    const { agent, key } = await registerAgent(t, org.as.member.apiKey);
    // Cached as active on the request path first: the suspension must reach that cache.
    assert.equal((await signedInject(t, key, { url: '/api/v1/agents/me' })).statusCode, 200);
    return { id: agent.id as string, key };
  };
  const statusOf = async (org: SeededOrganization, agentId: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${agentId}`, headers: org.as.viewer.apiKey })).json().agent.status as string;
  const auditOf = async (org: SeededOrganization, agentId: string) => {
    const { rows } = await (await t.owner()).query<{ action: string; actor_type: string; details: Record<string, unknown> }>(
      `select action, actor_type, details from audit_events where organization_id = $1 and target_id = $2 and action like 'agent.%' and action <> 'agent.trust_change' order by occurred_at, id`,
      [org.organizationId, agentId],
    );
    return rows;
  };
  const notesOf = async (alertId: string) =>
    (await (await t.owner()).query<{ author_type: string; author_id: string | null; body: string }>(`select author_type, author_id, body from alert_notes where alert_id = $1`, [alertId])).rows;
  const refusal = async (key: TestAgentKey) => (await signedInject(t, key, { url: '/api/v1/agents/me' })).json().error?.code as string | undefined;

  it('suspends an active agent of an organization that opted in, as the system, audited, with a note on the alert; a person reactivates it', async () => {
    const agent = await agentOf(optedIn);
    const alertId = await raiseAlert(t, optedIn.organizationId, { severity: 'critical', subject: { type: 'agent', id: agent.id } });
    await t.platform.domainEvents.drain();
    assert.equal(await statusOf(optedIn, agent.id), 'suspended');
    assert.equal(await refusal(agent.key), 'agent_suspended', 'its requests are refused at once');

    const audit = await auditOf(optedIn, agent.id);
    const suspended = audit.find((e) => e.action === 'agent.suspend')!;
    assert.equal(suspended.actor_type, 'system');
    assert.equal(suspended.details.alertId, alertId);
    assert.equal(suspended.details.alertType, 'key_misuse');
    assert.match(String(suspended.details.reason), new RegExp(`critical alert ${alertId}`));
    const [note] = await notesOf(alertId);
    assert.equal(note!.author_type, 'system');
    assert.equal(note!.author_id, null);
    assert.ok(note!.body.startsWith(SUSPENSION_NOTE_PREFIX), note!.body);
    // The status history says who and why, as for a person's suspension.
    const [change] = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${agent.id}`, headers: optedIn.as.admin.apiKey })).json().statusHistory;
    assert.deepEqual([change.from, change.to, change.actorType, change.actorId], ['active', 'suspended', 'system', null]);
    assert.match(change.reason, new RegExp(`critical alert ${alertId}`));

    const reactivated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agent.id}/reactivate`,
      headers: { ...optedIn.as.manager.apiKey, 'content-type': 'application/json' },
      payload: JSON.stringify({ reason: 'Key rotated; the alert was investigated' }),
    });
    assert.equal(reactivated.statusCode, 200, reactivated.body);
    assert.equal((await signedInject(t, agent.key, { url: '/api/v1/agents/me' })).statusCode, 200, 'it acts again');

    // The same event delivered again (the dispatcher delivers at least once) does not undo the person's choice.
    const repeat = autoSuspensionSubscription({ db: t.platform.db, suspend: (...args) => t.app.services.agents.suspendAsSystem(...args), logger: t.platform.logger });
    const event = {
      id: 'dev_00000000000000000000000000',
      type: 'alert.raised',
      version: 1,
      organizationId: optedIn.organizationId,
      occurredAt: new Date().toISOString(),
      data: { alertId, type: 'key_misuse', severity: 'critical', subject: { type: 'agent', id: agent.id }, title: 'Possible key theft', summary: 's', dedupKey: 'k' },
    } as DomainEvent;
    await repeat.handle!(event);
    assert.equal(await statusOf(optedIn, agent.id), 'active');
    assert.deepEqual((await auditOf(optedIn, agent.id)).map((e) => e.action), ['agent.register', 'agent.suspend', 'agent.reactivate']);
    assert.equal((await notesOf(alertId)).length, 1);
  });

  it('leaves organizations that did not opt in, alerts below critical, and agents not active alone', async () => {
    const lenient = await agentOf(optedOut);
    const lenientAlert = await raiseAlert(t, optedOut.organizationId, { severity: 'critical', subject: { type: 'agent', id: lenient.id } });
    const strict = await agentOf(optedIn);
    const highAlert = await raiseAlert(t, optedIn.organizationId, { severity: 'high', type: 'data_volume', subject: { type: 'agent', id: strict.id } });
    await t.platform.domainEvents.drain();
    assert.equal(await statusOf(optedOut, lenient.id), 'active', 'not opted in');
    assert.equal(await refusal(lenient.key), undefined);
    assert.equal(await statusOf(optedIn, strict.id), 'active', 'high is not critical');
    assert.deepEqual(await notesOf(lenientAlert), []);
    assert.deepEqual(await notesOf(highAlert), []);

    // Revoked: nothing happens to it, and the alert gets no note.
    const revoked = await agentOf(optedIn);
    const revoke = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${revoked.id}/revoke`, headers: { ...optedIn.as.admin.apiKey, 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(revoke.statusCode, 200, revoke.body);
    const onRevoked = await raiseAlert(t, optedIn.organizationId, { severity: 'critical', subject: { type: 'agent', id: revoked.id } });
    // Already suspended: a second critical alert changes nothing.
    const first = await raiseAlert(t, optedIn.organizationId, { severity: 'critical', subject: { type: 'agent', id: strict.id } });
    await t.platform.domainEvents.drain();
    const second = await raiseAlert(t, optedIn.organizationId, { severity: 'critical', type: 'trust_drop', subject: { type: 'agent', id: strict.id } });
    await t.platform.domainEvents.drain();
    assert.equal(await statusOf(optedIn, revoked.id), 'revoked');
    assert.deepEqual(await notesOf(onRevoked), []);
    assert.equal(await statusOf(optedIn, strict.id), 'suspended');
    assert.equal((await notesOf(first)).length, 1);
    assert.deepEqual(await notesOf(second), [], 'already suspended');
    assert.equal((await auditOf(optedIn, strict.id)).filter((e) => e.action === 'agent.suspend').length, 1);
  });
});
