import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';

forEachTarget('organizations and members', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const json = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' });

  it('lists members with their names and emails, and only its own', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/members', headers: a.as.viewer.session });
    assert.equal(res.statusCode, 200);
    const members = res.json().members;
    assert.deepEqual(members.map((m: { role: string }) => m.role).sort(), ['admin', 'manager', 'member', 'viewer']);
    assert.ok(members.every((m: { user: { email: string } }) => m.user.email.endsWith('@example.com')));
    assert.ok(!members.some((m: { user: { id: string } }) => m.user.id === b.as.admin.userId));
  });

  it('keeps at least one admin', async () => {
    const demote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${a.as.admin.userId}`,
      headers: json(a.as.admin.apiKey),
      payload: { role: 'viewer' },
    });
    assert.equal(demote.statusCode, 409);
    const remove = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${a.as.admin.userId}`, headers: a.as.admin.apiKey });
    assert.equal(remove.statusCode, 409);
  });

  it("cannot touch another organization's member", async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${b.as.viewer.userId}`,
      headers: json(a.as.admin.apiKey),
      payload: { role: 'manager' },
    });
    assert.equal(res.statusCode, 404);
  });

  it('removes a member, whose sessions then act for no organization', async () => {
    const s = await startSession(t, a.as.member.userId, a.organizationId);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${a.as.member.userId}`, headers: a.as.admin.apiKey });
    assert.equal(res.statusCode, 200);
    const org = await t.app.inject({ method: 'GET', url: '/api/v1/organization', headers: s.headers });
    assert.equal(org.statusCode, 403);
    assert.equal(org.json().error.code, 'organization_required');
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: s.headers });
    assert.equal(me.json().organization, null);
    assert.deepEqual(me.json().permissions, [], 'no organization, no permissions');
  });

  it('tells the signed-in person what their role may do, from the same table as the roles list', async () => {
    const roles = await t.app.inject({ method: 'GET', url: '/api/v1/roles', headers: a.as.viewer.session });
    assert.equal(roles.statusCode, 200);
    const table = new Map<string, string[]>(roles.json().roles.map((r: { role: string; permissions: string[] }) => [r.role, r.permissions]));
    assert.deepEqual([...table.keys()], ['admin', 'manager', 'member', 'viewer']);
    assert.ok(table.get('admin')!.includes('member.invite'));
    assert.ok(!table.get('manager')!.includes('member.invite'));
    assert.ok(table.get('member')!.includes('agent.create') && !table.get('viewer')!.includes('agent.create'));
    for (const role of ['admin', 'viewer'] as const) {
      const s = await startSession(t, a.as[role].userId, a.organizationId);
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: s.headers });
      assert.deepEqual(me.json().permissions, table.get(role), `${role}'s own permissions`);
    }
  });

  it('lets a person create an organization, become its admin, and switch between organizations', async () => {
    const s = await startSession(t, a.as.viewer.userId, a.organizationId);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: json(s.headers),
      payload: { name: 'Side project' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const newOrg = created.json().id;
    const switched = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/organization',
      headers: json(s.headers),
      payload: { organizationId: newOrg },
    });
    assert.equal(switched.statusCode, 200, switched.body);
    assert.equal(switched.json().organization.id, newOrg);
    assert.equal(switched.json().role, 'admin');
    assert.equal(switched.json().memberships.length, 2);
    const rename = await t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: json(s.headers), payload: { name: 'Renamed' } });
    assert.equal(rename.json().name, 'Renamed');
    const notMine = await t.app.inject({
      method: 'POST',
      url: '/api/v1/me/organization',
      headers: json(s.headers),
      payload: { organizationId: b.organizationId },
    });
    assert.equal(notMine.statusCode, 404);
    const apiKeyCannot = await t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: json(a.as.admin.apiKey),
      payload: { name: 'by key' },
    });
    assert.equal(apiKeyCannot.statusCode, 403);
  });
});
