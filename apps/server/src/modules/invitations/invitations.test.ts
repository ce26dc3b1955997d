import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { createUser, seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';

forEachTarget('invitations', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  before(async () => {
    t = await createTestApp(target);
    a = await seedOrganization(t, 'A');
  });
  after(() => t?.close());

  const invite = (email: string, role = 'member', headers = a.as.admin.apiKey) =>
    t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: { ...headers, 'content-type': 'application/json' }, payload: { email, role } });
  const tokenFromMail = (email: string) => {
    const mail = [...t.outbox.messages].reverse().find((m) => m.to === email);
    return decodeURIComponent(/token=([^\s]+)/.exec(mail!.text)![1]!);
  };

  it('mails a single-use link to the address, and only the invited address can accept it', async () => {
    const res = await invite('Grace@Example.com', 'manager');
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().email, 'grace@example.com');
    const token = tokenFromMail('grace@example.com');

    const stranger = await createUser(t, 'mallory@example.com', 'Mallory');
    const strangerSession = await startSession(t, stranger, null);
    const stolen = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: { ...strangerSession.headers, 'content-type': 'application/json' },
      payload: { token },
    });
    assert.equal(stolen.statusCode, 403);
    assert.equal(stolen.json().error.code, 'invitation_email_mismatch');

    const grace = await createUser(t, 'grace@example.com', 'Grace Hopper');
    const session = await startSession(t, grace, null);
    const accept = () =>
      t.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', headers: { ...session.headers, 'content-type': 'application/json' }, payload: { token } });
    const accepted = await accept();
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().organization.id, a.organizationId);
    assert.equal(accepted.json().role, 'manager');
    const again = await accept();
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'invitation_used');
  });

  it('joins a new person to every organization that invited their address when they first sign in', async () => {
    await invite('lin@example.com', 'viewer');
    const lin = await createUser(t, 'lin@example.com', 'Lin');
    const joined = await t.platform.db.transaction({ organizationId: null }, (tx) =>
      t.app.services.invitations.acceptPendingIn(
        tx,
        { requestId: 'r', clientIp: null, userAgent: null, actor: { type: 'user', id: lin }, organizationId: null, role: null, userId: lin, personId: lin, sessionId: null },
        lin,
        'lin@example.com',
      ),
    );
    await t.platform.accessCache.forgetMembership(a.organizationId, lin);
    assert.deepEqual(joined, [a.organizationId]);
    const session = await startSession(t, lin, a.organizationId);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: session.headers });
    assert.equal(me.json().role, 'viewer');
  });

  it('refuses to invite someone who is already a member', async () => {
    const existing = await invite(`viewer.${a.organizationId.slice(-8)}@example.com`);
    assert.equal(existing.statusCode, 409);
    assert.match(existing.json().error.message, /already a member/);
  });

  it('lets exactly one of two concurrent acceptances win', async () => {
    await invite('twice@example.com', 'member');
    const token = tokenFromMail('twice@example.com');
    const person = await createUser(t, 'twice@example.com', 'Twice');
    const session = await startSession(t, person, null);
    const accept = () =>
      t.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', headers: { ...session.headers, 'content-type': 'application/json' }, payload: { token } });
    const results = await Promise.all([accept(), accept(), accept()]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409, 409]);
    assert.deepEqual(results.filter((r) => r.statusCode === 409).map((r) => r.json().error.code), ['invitation_used', 'invitation_used']);
  });

  it('revokes a pending invitation, after which its link fails', async () => {
    const res = await invite('late@example.com');
    const token = tokenFromMail('late@example.com');
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/invitations/${res.json().id}`, headers: a.as.admin.apiKey });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    const late = await createUser(t, 'late@example.com', 'Late');
    const session = await startSession(t, late, null);
    const accept = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations/accept',
      headers: { ...session.headers, 'content-type': 'application/json' },
      payload: { token },
    });
    assert.equal(accept.statusCode, 410);
    assert.equal(accept.json().error.code, 'invitation_revoked');
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/invitations', headers: a.as.admin.apiKey });
    assert.ok(list.json().invitations.length >= 3);
  });
});
