import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtectedHeader } from 'jose';
import { forEachTarget } from '../../testing/targets.js';
import { acrossInstances, createTestApp, type TestApp } from '../../testing/test-app.js';
import { ORIGIN, seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';

forEachTarget('sessions', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t);
  });
  after(() => t?.close());

  const me = (headers: Record<string, string>, app = t) => app.app.inject({ method: 'GET', url: '/api/v1/me', headers });
  const refresh = (token: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: `aim_refresh=${token}`, origin: ORIGIN } });
  const ownerQuery = async (sql: string, params: unknown[]) => {
    await (await t.owner()).query(sql, params);
  };
  const cookieOf = (res: { cookies: { name: string; value: string }[] }, name: string) => res.cookies.find((c) => c.name === name)?.value;

  it('rotates the refresh token on every refresh', async () => {
    const s = await startSession(t, org.as.member.userId, org.organizationId);
    const first = await refresh(s.refreshToken);
    assert.equal(first.statusCode, 200, first.body);
    const next = cookieOf(first, 'aim_refresh')!;
    assert.ok(next && next !== s.refreshToken);
    const access = cookieOf(first, 'aim_access')!;
    assert.equal((await me({ cookie: `aim_access=${access}` })).statusCode, 200);
    const second = await refresh(next);
    assert.equal(second.statusCode, 200);
  });

  it('answers two refreshes at the same moment without ending the session', async () => {
    const s = await startSession(t, org.as.member.userId, org.organizationId);
    const [a, b] = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken)]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 409]);
    const winner = a.statusCode === 200 ? a : b;
    const access = cookieOf(winner, 'aim_access')!;
    assert.equal((await me({ cookie: `aim_access=${access}` })).statusCode, 200);
  });

  it('revokes the whole session family when a used refresh token comes back', async () => {
    const s = await startSession(t, org.as.member.userId, org.organizationId);
    const rotated = await refresh(s.refreshToken);
    const newer = cookieOf(rotated, 'aim_refresh')!;
    const newerAccess = cookieOf(rotated, 'aim_access')!;
    // Past the grace window for simultaneous refreshes.
    await ownerQuery(`update session_refresh_tokens set consumed_at = consumed_at - interval '1 minute' where session_id = $1`, [s.sessionId]);
    const replay = await refresh(s.refreshToken);
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'invalid_token');
    assert.match(replay.json().error.message, /already used/);
    // Every token of the family is dead: the access token, and the newest refresh token.
    assert.equal((await me({ cookie: `aim_access=${newerAccess}` })).statusCode, 401);
    assert.equal((await me(s.headers)).statusCode, 401);
    assert.equal((await refresh(newer)).statusCode, 401);
  });

  it('refuses an unknown refresh token, and a refresh from another origin or with no Origin', async () => {
    assert.equal((await refresh('rt_unknown')).json().error.code, 'invalid_token');
    const s = await startSession(t, org.as.member.userId, org.organizationId);
    const noOrigin = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: `aim_refresh=${s.refreshToken}` } });
    assert.equal(noOrigin.json().error.code, 'csrf_failed');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { cookie: `aim_refresh=${s.refreshToken}`, origin: 'https://evil.example' },
    });
    assert.equal(res.json().error.code, 'csrf_failed');
  });

  it('ends a session at once when its owner revokes it, and lists only open sessions', async () => {
    const keep = await startSession(t, org.as.viewer.userId, org.organizationId);
    const end = await startSession(t, org.as.viewer.userId, org.organizationId);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: keep.headers });
    const ids = list.json().sessions.map((s: { id: string }) => s.id);
    assert.ok(ids.includes(end.sessionId) && ids.includes(keep.sessionId));
    assert.equal(list.json().sessions.find((s: { id: string }) => s.id === keep.sessionId).current, true);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${end.sessionId}`, headers: keep.headers });
    assert.equal(del.statusCode, 200);
    assert.equal((await me(end.headers)).statusCode, 401);
    assert.equal((await me(keep.headers)).statusCode, 200);
    // Someone else's session is not yours to end.
    const other = await startSession(t, org.as.admin.userId, org.organizationId);
    const denied = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/sessions/${other.sessionId}`, headers: keep.headers });
    assert.equal(denied.statusCode, 404);
    assert.equal((await me(other.headers)).statusCode, 200);
  });

  it('signs out', async () => {
    const s = await startSession(t, org.as.manager.userId, org.organizationId);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/sign-out', headers: s.headers });
    assert.equal(res.statusCode, 200);
    assert.equal(cookieOf(res, 'aim_access'), '');
    assert.equal((await me(s.headers)).statusCode, 401);
    assert.equal((await refresh(s.refreshToken)).statusCode, 401);
  });

  it('lets an admin end a member’s sessions in the organization', async () => {
    const victim = await startSession(t, org.as.member.userId, org.organizationId);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/members/${org.as.member.userId}/sessions/revoke`,
      headers: org.as.admin.apiKey,
    });
    assert.equal(res.statusCode, 200);
    assert.ok(res.json().revoked >= 1);
    assert.equal((await me(victim.headers)).statusCode, 401);
  });

  it('applies a role change to open sessions at once', async () => {
    const second = await seedOrganization(t, 'Roles');
    const promoteManager = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${second.as.manager.userId}`,
      headers: { ...second.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { role: 'admin' },
    });
    assert.equal(promoteManager.statusCode, 200);
    const session = await startSession(t, second.as.manager.userId, second.organizationId);
    const rename = (name: string) =>
      t.app.inject({ method: 'PATCH', url: '/api/v1/organization', headers: { ...session.headers, 'content-type': 'application/json' }, payload: { name } });
    assert.equal((await rename('Renamed once')).statusCode, 200);
    const demote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${second.as.manager.userId}`,
      headers: { ...second.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { role: 'viewer' },
    });
    assert.equal(demote.statusCode, 200);
    const after = await rename('Renamed twice');
    assert.equal(after.statusCode, 403);
  });

  it('rotates the session signing key without signing anyone out', async () => {
    const s = await startSession(t, org.as.viewer.userId, org.organizationId);
    const oldKid = decodeProtectedHeader(/aim_access=([^;]+)/.exec(s.headers.cookie!)![1]!).kid;
    await t.platform.sessionKeys.rotate();
    assert.equal((await me(s.headers)).statusCode, 200, 'a token signed by the retired key still works');
    const fresh = await startSession(t, org.as.viewer.userId, org.organizationId);
    const newKid = decodeProtectedHeader(/aim_access=([^;]+)/.exec(fresh.headers.cookie!)![1]!).kid;
    assert.notEqual(newKid, oldKid);
    assert.equal((await me(fresh.headers)).statusCode, 200);
  });
});

acrossInstances('sessions across instances', (instances, skip) => {
  it('ends a revoked session on the next request to another instance', { skip }, async () => {
    const { a, b } = instances;
    const org = await seedOrganization(a);
    const s = await startSession(a, org.as.member.userId, org.organizationId);
    const onB = () => b.app.inject({ method: 'GET', url: '/api/v1/me', headers: s.headers });
    assert.equal((await onB()).statusCode, 200, 'instance B knows the session (and caches it)');
    const del = await a.app.inject({ method: 'POST', url: '/api/v1/auth/sign-out', headers: s.headers });
    assert.equal(del.statusCode, 200);
    assert.equal((await onB()).statusCode, 401);
    // API keys too, even once instance B has cached the key.
    const cached = await b.app.inject({ method: 'GET', url: '/api/v1/organization', headers: org.as.viewer.apiKey });
    assert.equal(cached.statusCode, 200);
    const revoke = await a.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${org.as.viewer.apiKeyId}`, headers: org.as.admin.apiKey });
    assert.equal(revoke.statusCode, 200);
    const withKey = await b.app.inject({ method: 'GET', url: '/api/v1/organization', headers: org.as.viewer.apiKey });
    assert.equal(withKey.statusCode, 401);
  });
});
