import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

forEachTarget('API keys', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const create = (headers: Record<string, string>, payload: object) =>
    t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: { ...headers, 'content-type': 'application/json' }, payload });
  const list = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/api-keys', headers });

  it('creates a key shown once, stored only as a hash, that reaches the management API', async () => {
    const res = await create(a.as.manager.session, { name: 'deploy bot' });
    assert.equal(res.statusCode, 201, res.body);
    const { apiKey, key } = res.json();
    assert.match(key, /^aim_v1_[A-Za-z0-9_-]{43}$/);
    assert.equal(apiKey.role, 'manager');
    assert.equal(apiKey.prefix, key.slice(0, 12));
    assert.equal(apiKey.createdBy, a.as.manager.userId);
    assert.ok(!JSON.stringify((await list(a.as.manager.session)).json()).includes(key), 'never shown again');
    const owner = await t.owner();
    const dump = JSON.stringify((await owner.query('select * from api_keys where id = $1', [apiKey.id])).rows);
    assert.ok(!dump.includes(key.slice(12)));
    const members = await t.app.inject({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${key}` } });
    assert.equal(members.statusCode, 200);
    assert.equal(members.json().members.length, 4);
  });

  it('never gives a key a stronger role than its creator', async () => {
    const res = await create(a.as.member.session, { name: 'escalate', role: 'admin' });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error.message, /stronger role/);
    const byKey = await create(a.as.viewer.apiKey, { name: 'escalate', role: 'member' });
    assert.equal(byKey.statusCode, 403);
    const weaker = await create(a.as.admin.session, { name: 'read only', role: 'viewer' });
    assert.equal(weaker.json().apiKey.role, 'viewer');
  });

  it('refuses an expiry in the past, and stops working once expired', async () => {
    const past = await create(a.as.admin.session, { name: 'old', expiresAt: '2020-01-01T00:00:00Z' });
    assert.equal(past.statusCode, 400);
    const owner = await t.owner();
    const res = await create(a.as.admin.session, { name: 'short', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const { apiKey, key } = res.json();
    const use = () => t.app.inject({ method: 'GET', url: '/api/v1/organization', headers: { authorization: `Bearer ${key}` } });
    assert.equal((await use()).statusCode, 200);
    await owner.query(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [apiKey.id]);
    await t.platform.accessCache.forgetApiKey((await owner.query('select key_hash from api_keys where id = $1', [apiKey.id])).rows[0].key_hash.toString('hex'));
    const expired = await use();
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().error.code, 'expired_token');
  });

  it('shows admins every key and everyone else their own', async () => {
    const mine = (await list(a.as.member.session)).json().apiKeys;
    assert.ok(mine.length >= 1);
    assert.ok(mine.every((k: { createdBy: string }) => k.createdBy === a.as.member.userId));
    const all = (await list(a.as.admin.session)).json().apiKeys;
    assert.ok(all.length > mine.length);
    assert.ok(!all.some((k: { id: string }) => k.id === b.as.admin.apiKeyId), "never another organization's keys");
  });

  it('revokes at once; another member cannot revoke a key that is not theirs; another organization gets 404', async () => {
    const res = await create(a.as.member.session, { name: 'to revoke' });
    const { apiKey, key } = res.json();
    const use = () => t.app.inject({ method: 'GET', url: '/api/v1/organization', headers: { authorization: `Bearer ${key}` } });
    assert.equal((await use()).statusCode, 200);
    const byOther = await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: a.as.viewer.session });
    assert.equal(byOther.statusCode, 404);
    const byOtherOrg = await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: b.as.admin.session });
    assert.equal(byOtherOrg.statusCode, 404);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${apiKey.id}`, headers: a.as.member.session });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    const after = await use();
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().error.code, 'invalid_token');
  });

  it("never lets a key do more than its creator may today: demotion caps it, removal ends it", async () => {
    const c = await seedOrganization(t, 'C');
    const key = (await create(c.as.manager.session, { name: 'manager bot' })).json().key;
    const invitations = () => t.app.inject({ method: 'GET', url: '/api/v1/invitations', headers: { authorization: `Bearer ${key}` } });
    assert.equal((await invitations()).statusCode, 200, 'a manager key reads invitations');
    const demote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${c.as.manager.userId}`,
      headers: { ...c.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { role: 'viewer' },
    });
    assert.equal(demote.statusCode, 200);
    assert.equal((await invitations()).statusCode, 403, 'demoted at once');
    const remove = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${c.as.manager.userId}`, headers: c.as.admin.apiKey });
    assert.equal(remove.statusCode, 200);
    const after = await invitations();
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().error.code, 'invalid_token');
  });

  it('counts uses and records the last use', async () => {
    for (let i = 0; i < 3; i++) {
      await t.app.inject({ method: 'GET', url: '/api/v1/organization', headers: a.as.viewer.apiKey });
    }
    await t.platform.apiKeyUsage.flush();
    const key = (await list(a.as.admin.apiKey)).json().apiKeys.find((k: { id: string }) => k.id === a.as.viewer.apiKeyId);
    assert.ok(key.useCount >= 3, `useCount ${key.useCount}`);
    assert.ok(Date.now() - Date.parse(key.lastUsedAt) < 60_000);
  });
});
