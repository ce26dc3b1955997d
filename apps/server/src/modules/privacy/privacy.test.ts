import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { verifyExportLines } from '@aim/audit-verify';
import { SYSTEM_CONTEXT } from '../../platform/http/request-context.js';
import { findInDatabase } from '../../testing/database-dump.js';
import { createUser, ORIGIN, seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { membershipRepository } from '../members/index.js';

/** A person with a session opened from a known address and browser, who acted in organization A. */
async function personWhoActed(t: TestApp, a: SeededOrganization, tag: string, role: 'member' | 'admin' = 'member') {
  const email = `Zelda.Quartermain.${tag}@Example.org`;
  const name = `Zelda Quartermain ${tag}`;
  const ip = `198.51.100.${10 + Number.parseInt(tag, 36) % 200}`;
  const userAgent = `PrivacyProbe/7.3 (zq-${tag}-agent)`;
  const userId = await createUser(t, email, name);
  await t.platform.db.transaction({ organizationId: a.organizationId }, (tx) => membershipRepository.add(tx, userId, role));
  const issued = await t.platform.db.transaction({ organizationId: null }, (tx) =>
    t.app.services.sessions.start(tx, { ...SYSTEM_CONTEXT, clientIp: ip, userAgent }, { userId, organizationId: a.organizationId, method: 'setup' }),
  );
  const session = { cookie: `aim_access=${issued.accessToken}; aim_csrf=${issued.csrfToken}`, origin: ORIGIN, 'x-csrf-token': issued.csrfToken, 'user-agent': userAgent };
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/api-keys',
    remoteAddress: ip,
    headers: { ...session, 'content-type': 'application/json' },
    payload: { name: 'zelda laptop' },
  });
  assert.equal(created.statusCode, 201, created.body);
  return { email, name, ip, userAgent, userId, session, apiKey: created.json().key as string, apiKeyId: created.json().apiKey.id as string };
}

forEachTarget('privacy: export and erasure of a person', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(() => t?.close());

  const erase = (headers: Record<string, string>, userId: string, confirm: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/privacy/people/${userId}/erasure`, headers: { ...headers, 'content-type': 'application/json' }, payload: { confirm } });
  const exportOf = (headers: Record<string, string>, userId: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/privacy/people/${userId}/export`, headers });

  it('seals sessions’ and audit events’ address and user agent under the person’s key, and reads them back decrypted', async () => {
    const p = await personWhoActed(t, a, 'k1');
    const owner = await t.owner();
    const session = (await owner.query('select client_ip, user_agent from sessions where user_id = $1', [p.userId])).rows[0];
    assert.match(session.client_ip, /^pd1\.pdk_[0-9a-z]{26}\./);
    assert.match(session.user_agent, /^pd1\.pdk_/);
    await t.platform.auditSequencer.drain(a.organizationId);
    const event = (await owner.query(`select client_ip, user_agent from audit_events where actor_id = $1 and action = 'api_key.create'`, [p.userId])).rows[0];
    assert.match(event.client_ip, /^pd1\.pdk_/);
    assert.equal((await findInDatabase(owner, p.userAgent)).length, 0, 'the user agent is nowhere in clear');
    assert.deepEqual(await findInDatabase(owner, p.email), [], 'the email is nowhere in clear');

    const page = await t.app.inject({ method: 'GET', url: `/api/v1/audit-logs?actorId=${p.userId}`, headers: a.as.admin.session });
    assert.equal(page.statusCode, 200, page.body);
    const created = page.json().events.find((e: { action: string }) => e.action === 'api_key.create');
    assert.equal(created.clientIp, p.ip);
    assert.equal(created.userAgent, p.userAgent);
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export?format=csv', headers: a.as.admin.apiKey });
    assert.ok(csv.body.includes(p.userAgent), 'the CSV export, for people, is decrypted');
    assert.ok(!csv.body.includes('pd1.'), 'and carries no sealed value');
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/me/sessions', headers: p.session });
    assert.equal(mine.json().sessions[0].clientIp, p.ip);
  });

  it('exports everything about a person, decrypted, and records the request', async () => {
    const p = await personWhoActed(t, a, 'k2');
    const res = await exportOf(a.as.admin.session, p.userId);
    assert.equal(res.statusCode, 200, res.body);
    const data = res.json();
    assert.equal(data.type, 'aim.person_export');
    assert.equal(data.person.email, p.email.toLowerCase());
    assert.equal(data.person.name, p.name);
    assert.deepEqual(data.memberships.map((m: { role: string }) => m.role), ['member']);
    assert.equal(data.sessions[0].clientIp, p.ip);
    assert.equal(data.sessions[0].userAgent, p.userAgent);
    assert.deepEqual(data.apiKeys.map((k: { id: string }) => k.id), [p.apiKeyId]);
    const event = data.auditEvents.find((e: { action: string }) => e.action === 'api_key.create');
    assert.equal(event.clientIp, p.ip);
    assert.equal(event.userAgent, p.userAgent);

    const own = await t.app.inject({ method: 'GET', url: '/api/v1/me/data-export', headers: p.session });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json().person.email, p.email.toLowerCase());
    assert.equal(own.json().organizationId, null);

    const requests = (await t.app.inject({ method: 'GET', url: '/api/v1/privacy/requests', headers: a.as.admin.session })).json().requests;
    assert.ok(requests.some((r: { userId: string; kind: string }) => r.userId === p.userId && r.kind === 'export'));
    assert.equal((await exportOf(a.as.manager.session, p.userId)).statusCode, 403, 'privacy.manage is for admins');
    const foreign = await exportOf(b.as.admin.session, p.userId);
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().error.code, 'person_not_found');
  });

  it('refuses an erasure with its code: last admin, another organization’s person, a wrong confirmation, a legal hold, a person who belongs elsewhere', async () => {
    const lastAdmin = await erase(a.as.admin.session, a.as.admin.userId, `ERASE ${a.as.admin.userId}`);
    assert.equal(lastAdmin.statusCode, 409);
    assert.equal(lastAdmin.json().error.code, 'erasure_last_admin');
    const p = await personWhoActed(t, a, 'k3');
    const foreign = await erase(b.as.admin.session, p.userId, p.email);
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().error.code, 'person_not_found');
    const wrong = await erase(a.as.admin.session, p.userId, 'someone.else@example.org');
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.code, 'erasure_confirmation_mismatch');
    // On legal hold, nothing of the organization's data is deleted: the erasure waits for the release.
    const owner = await t.owner();
    await owner.query(`update organizations set legal_hold_at = now(), legal_hold_reason = 'Matter 42' where id = $1`, [a.organizationId]);
    const held = await erase(a.as.admin.session, p.userId, p.email);
    await owner.query('update organizations set legal_hold_at = null, legal_hold_reason = null where id = $1', [a.organizationId]);
    assert.equal(held.statusCode, 409);
    assert.equal(held.json().error.code, 'legal_hold_active');
    await t.platform.db.transaction({ organizationId: b.organizationId }, (tx) => membershipRepository.add(tx, p.userId, 'viewer'));
    const elsewhere = await erase(a.as.admin.session, p.userId, p.email);
    assert.equal(elsewhere.statusCode, 409);
    assert.equal(elsewhere.json().error.code, 'erasure_other_organizations');
    // Nothing was erased by any refusal.
    assert.equal((await exportOf(a.as.admin.session, p.userId)).json().person.email, p.email.toLowerCase());
  });

  it('erases a person: access ends at once, their email, name, address and user agent are nowhere readable, the chain verifies', async () => {
    const p = await personWhoActed(t, a, 'k4', 'admin');
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...p.session, 'content-type': 'application/json' },
      payload: { email: 'invited.by.zelda@example.org', role: 'manager' },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal((await exportOf(a.as.admin.session, p.userId)).json().sessions[0].clientIp, p.ip, 'readable before');
    const res = await erase(a.as.admin.session, p.userId, p.email.toUpperCase());
    assert.equal(res.statusCode, 200, res.body);
    const result = res.json();
    assert.match(result.erased.keyId, /^pdk_/);
    assert.equal(result.erased.sessions, 1);
    assert.equal(result.erased.apiKeysRevoked, 1);
    assert.equal(result.erased.invitationsRevoked, 1, 'the invitation they sent no longer lets anyone in');

    // Access: the session and the API key stop working at once.
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: p.session })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/organization', headers: { authorization: `Bearer ${p.apiKey}` } })).statusCode, 401);

    // The database: not the email (any case), the name, the address or the user agent, in any table.
    const owner = await t.owner();
    for (const needle of [p.email, p.name, p.ip, p.userAgent]) assert.deepEqual(await findInDatabase(owner, needle), [], needle);
    const key = (await owner.query('select wrapped_key, destroyed_at from person_keys where user_id = $1', [p.userId])).rows[0];
    assert.equal(key.wrapped_key, null);
    assert.ok(key.destroyed_at);
    const user = (await owner.query('select status, email_hash, email_encrypted, name_encrypted from users where id = $1', [p.userId])).rows[0];
    assert.deepEqual(user, { status: 'erased', email_hash: null, email_encrypted: null, name_encrypted: null });

    // The audit log: the sealed members read as erased; the erasure is recorded; the chain verifies.
    await t.platform.auditSequencer.drain(a.organizationId);
    const page = (await t.app.inject({ method: 'GET', url: `/api/v1/audit-logs?actorId=${p.userId}`, headers: a.as.admin.session })).json();
    const created = page.events.find((e: { action: string }) => e.action === 'api_key.create');
    assert.equal(created.clientIp, null);
    assert.deepEqual(created.erased, ['clientIp', 'userAgent']);
    const erasedEvent = (await t.app.inject({ method: 'GET', url: `/api/v1/audit-logs?action=person.erased`, headers: a.as.admin.session })).json().events[0];
    assert.equal(erasedEvent.target.id, p.userId);
    assert.equal(erasedEvent.id, result.auditEventId);
    const exported = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/export', headers: a.as.admin.apiKey });
    assert.equal(exported.statusCode, 200);
    assert.ok(exported.body.includes('pd1.pdk_'), 'the export keeps the sealed values the chain hashed');
    const verdict = await verifyExportLines((async function* () {
      yield* exported.body.split('\n');
    })());
    assert.equal(verdict.verdict.status, 'intact', JSON.stringify(verdict.verdict));
    assert.ok(verdict.events > 10);
    const verify = await t.app.inject({ method: 'GET', url: '/api/v1/audit-logs/verify', headers: a.as.admin.session });
    assert.equal(verify.json().status, 'intact', verify.body);

    // Erased once: a second erasure and an export say so.
    const again = await erase(a.as.admin.session, p.userId, `ERASE ${p.userId}`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'person_already_erased');
    assert.equal((await exportOf(a.as.admin.session, p.userId)).json().error.code, 'person_already_erased');
  });
  it('moves people and sessions written before per-person keys under their key (aim.privacy-reseal)', async () => {
    const p = await personWhoActed(t, a, 'k5');
    const owner = await t.owner();
    // As migration 0023 found them: email and name under the deployment keyring, the session in clear.
    const sessionId = (await owner.query('select id from sessions where user_id = $1', [p.userId])).rows[0].id as string;
    await owner.query('update users set email_encrypted = $2, name_encrypted = $3 where id = $1', [
      p.userId,
      t.platform.keyring.encrypt(p.email.toLowerCase(), `users.email:${p.userId}`),
      t.platform.keyring.encrypt(p.name, `users.name:${p.userId}`),
    ]);
    await owner.query('update sessions set client_ip = $2, user_agent = $3 where id = $1', [sessionId, p.ip, p.userAgent]);
    assert.deepEqual(await findInDatabase(owner, p.userAgent), ['public.sessions'], 'in clear before');

    const job = t.app.jobs.find((j) => j.name === 'aim.privacy-reseal');
    assert.ok(job, 'the job is declared');
    await job.run();
    const user = (await owner.query('select email_encrypted, name_encrypted from users where id = $1', [p.userId])).rows[0];
    assert.match(user.email_encrypted, /^pd1\.pdk_/);
    assert.match(user.name_encrypted, /^pd1\.pdk_/);
    assert.deepEqual(await findInDatabase(owner, p.userAgent), [], 'sealed after');
    const data = (await exportOf(a.as.admin.session, p.userId)).json();
    assert.deepEqual([data.person.email, data.person.name, data.sessions[0].clientIp, data.sessions[0].userAgent], [p.email.toLowerCase(), p.name, p.ip, p.userAgent]);
  });
});
