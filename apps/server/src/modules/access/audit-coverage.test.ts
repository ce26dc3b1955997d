import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

/** Each change made through the API leaves its event, naming the actor, in the organization's log. */
forEachTarget('audit events of people changes', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let owner: pg.Client;
  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t);
    owner = await t.owner();
  });
  after(() => t?.close());

  const events = async (action: string) =>
    (
      await owner.query<{ actor_type: string; actor_id: string; target_id: string; request_id: string }>(
        'select actor_type, actor_id, target_id, request_id from audit_events where organization_id = $1 and action = $2',
        [org.organizationId, action],
      )
    ).rows;

  it('records each change with its actor, target and request id', async () => {
    const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });
    const steps: [string, () => Promise<{ statusCode: number; headers: Record<string, unknown>; json(): { id?: string; apiKey?: { id: string } } }>, 'user' | 'api_key'][] = [
      ['organization.update', () => t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json(org.as.admin.apiKey), payload: { name: 'Renamed Org' } }), 'api_key'],
      ['api_key.create', () => t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: json(org.as.member.session), payload: { name: 'k' } }), 'user'],
      ['invitation.create', () => t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: json(org.as.admin.session), payload: { email: 'x@example.com', role: 'viewer' } }), 'user'],
      ['member.update_role', () => t.app.inject({ method: 'PATCH', url: `/api/v1/members/${org.as.viewer.userId}`, headers: json(org.as.admin.apiKey), payload: { role: 'member' } }), 'api_key'],
      ['api_key.revoke', () => t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${org.as.viewer.apiKeyId}`, headers: org.as.admin.apiKey }), 'api_key'],
      ['member.remove', () => t.app.inject({ method: 'DELETE', url: `/api/v1/members/${org.as.manager.userId}`, headers: org.as.admin.apiKey }), 'api_key'],
    ];
    for (const [action, call, actorType] of steps) {
      const res = await call();
      assert.ok(res.statusCode < 300, `${action}: ${res.statusCode}`);
      const recorded = await events(action);
      assert.equal(recorded.length, 1, action);
      assert.equal(recorded[0]!.actor_type, actorType, action);
      assert.equal(recorded[0]!.request_id, res.headers['x-request-id'], action);
    }
  });

  it('records nothing for a refused change', async () => {
    const before = Number((await owner.query('select count(*) from audit_events where organization_id = $1', [org.organizationId])).rows[0].count);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${org.as.admin.userId}`,
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { role: 'viewer' },
    });
    assert.equal(res.statusCode, 409);
    const after = Number((await owner.query('select count(*) from audit_events where organization_id = $1', [org.organizationId])).rows[0].count);
    assert.equal(after, before);
  });
});
