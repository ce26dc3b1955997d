import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { newId } from '../../platform/ids.js';
import { signInRefusal, startLocalIdp, stateCookie, type LocalIdp } from '../../testing/local-idp.js';
import { createUser, seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { SoftwareAuthenticator } from '../../testing/software-authenticator.js';
import { forEachTarget, testTargets } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';

/**
 * Joining an organization through an invitation link: reading what it offers, a new person joining
 * with a passkey (and signing in with it later), joining through an identity provider, and every
 * way a link can be unusable.
 */
const PUBLIC_URL = 'http://aim.test:8080';
/** Pages (an OIDC start and callback) are answered only at AIM's public address; elsewhere they redirect there. */
const AT_AIM = { host: 'aim.test:8080' };
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;

forEachTarget('joining through an invitation', (target) => {
  let t: TestApp;
  let idp: LocalIdp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  let owner: pg.Client;
  before(async () => {
    idp = await startLocalIdp(CALLBACK);
    t = await createTestApp(target, {
      env: {
        PUBLIC_URL,
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        OIDC_CLIENT_SECRET: idp.clientSecret,
        OIDC_DISPLAY_NAME: 'Local IdP',
        RATE_LIMIT_SIGN_IN_MAX: '1000',
      },
    });
    a = await seedOrganization(t, 'Acme');
    b = await seedOrganization(t, 'Globex');
    owner = await t.owner();
  });
  after(async () => {
    await t?.close();
    await idp?.stop();
  });

  const json = { origin: PUBLIC_URL, 'content-type': 'application/json' };
  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...headers, ...json }, payload });
  /** An admin of `org` invites the address; the link from the answer (the same as mailed). */
  async function invite(email: string, role = 'member', org = a) {
    const res = await post('/api/v1/invitations', { email, role }, org.as.admin.apiKey);
    assert.equal(res.statusCode, 201, res.body);
    const link = new URL(res.json().link as string);
    return { id: res.json().id as string, token: link.searchParams.get('token')!, link };
  }
  const preview = (token: string) => post('/api/v1/invitations/preview', { token });
  const options = (token: string, name = 'Grace Hopper') => post('/api/v1/invitations/passkey/options', { token, name });
  const finish = (token: string, credential: unknown) => post('/api/v1/invitations/passkey', { token, credential });
  /** Options, the authenticator's answer, and the finish: the whole passkey join. */
  async function joinWithPasskey(token: string, authenticator = new SoftwareAuthenticator(), name = 'Grace Hopper') {
    const opts = await options(token, name);
    assert.equal(opts.statusCode, 200, opts.body);
    return finish(token, authenticator.create(opts.json(), PUBLIC_URL));
  }
  const code = (res: { json: () => { error?: { code: string } } }) => res.json().error?.code;

  it('answers the link with one shown-once link, and the same link is mailed; the list never shows it', async () => {
    const { link, id } = await invite('ada@example.com', 'viewer');
    assert.equal(`${link.origin}${link.pathname}`, `${PUBLIC_URL}/invite/`);
    const mail = t.outbox.messages.find((m) => m.to === 'ada@example.com')!;
    assert.ok(mail.text.includes(link.href), 'the mailed link is the one in the answer');
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/invitations', headers: a.as.admin.apiKey });
    const listed = list.json().invitations.find((i: { id: string }) => i.id === id);
    assert.equal(listed.link, undefined);
    assert.ok(!list.body.includes(link.searchParams.get('token')!), 'the token appears nowhere in the list');
  });

  it('shows the invitee the organization, role, inviter, address, expiry and the ways to join', async () => {
    const { token } = await invite('grace.preview@example.com', 'manager');
    const res = await preview(token);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.match(body.organization.name, /^Acme /);
    assert.equal(body.organization.id, a.organizationId);
    assert.equal(body.role, 'manager');
    assert.equal(body.email, 'grace.preview@example.com');
    assert.match(body.invitedBy.name, /^admin /);
    assert.ok(Date.parse(body.expiresAt) > Date.now());
    assert.equal(body.accountExists, false);
    assert.deepEqual(body.providers.map((p: { id: string; displayName: string }) => [p.id, p.displayName]), [['oidc', 'Local IdP']]);
    assert.equal(body.providers[0].startUrl, `/api/v1/auth/oidc/oidc/start?invitation=${encodeURIComponent(token)}&returnTo=%2F`);
  });

  it("offers the organization's own identity provider only for an address at a domain it verified", async () => {
    const providerId = newId('idp');
    await owner.query(
      `insert into oidc_providers (id, organization_id, preset, display_name, issuer, client_id, client_secret_encrypted)
       values ($1, $2, 'oidc', 'Globex SSO', 'https://sso.globex.example', 'client', 'not-used-here')`,
      [providerId, b.organizationId],
    );
    await owner.query(
      `insert into organization_domains (organization_id, domain, verification_token, verified_at) values ($1, 'globex.example', 't', now())`,
      [b.organizationId],
    );
    const providers = async (email: string) =>
      (await preview((await invite(email, 'member', b)).token)).json().providers.map((p: { id: string; displayName: string }) => [p.id, p.displayName]);
    assert.deepEqual(await providers('staff@globex.example'), [
      ['oidc', 'Local IdP'],
      [providerId, 'Globex SSO'],
    ]);
    assert.deepEqual(await providers('contractor@elsewhere.example'), [['oidc', 'Local IdP']], 'its provider cannot vouch for other domains');
    const outsider = await invite('staff2@globex.example', 'member', a);
    assert.deepEqual(
      (await preview(outsider.token)).json().providers.map((p: { id: string }) => p.id),
      ['oidc'],
      "another organization's provider is never offered",
    );
  });

  it('refuses unknown tokens (404) and malformed input (400)', async () => {
    const unknown = await preview('inv_thisTokenWasNeverIssuedByAim0000');
    assert.equal(unknown.statusCode, 404);
    assert.equal(code(unknown), 'unknown_invitation');
    assert.equal(code(await options('inv_thisTokenWasNeverIssuedByAim0000')), 'unknown_invitation');
    const short = await preview('short');
    assert.equal(short.statusCode, 400);
    assert.equal(code(short), 'validation_failed');
    const { token } = await invite('noname@example.com');
    const blank = await options(token, '   ');
    assert.equal(blank.statusCode, 400);
    assert.equal(code(blank), 'validation_failed');
    const noCredential = await post('/api/v1/invitations/passkey', { token });
    assert.equal(code(noCredential), 'validation_failed');
    const garbage = await finish(token, { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: 'not-json' } });
    assert.equal(garbage.statusCode, 400);
    assert.equal(code(garbage), 'invalid_assertion');
  });

  it('a new person joins with a passkey: one account, the invited role, signed in there, and signs in again later', async () => {
    const { token, id } = await invite('grace@example.com', 'manager');
    const authenticator = new SoftwareAuthenticator();
    const res = await joinWithPasskey(token, authenticator, 'Grace Hopper');
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json(), { organization: { id: a.organizationId, name: res.json().organization.name }, role: 'manager' });
    const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    assert.ok(cookies.aim_access?.httpOnly && cookies.aim_refresh?.httpOnly && cookies.aim_csrf, 'session cookies as a sign-in sets them');

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${cookies.aim_access!.value}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().user.email, 'grace@example.com');
    assert.equal(me.json().user.name, 'Grace Hopper');
    assert.equal(me.json().organization.id, a.organizationId);
    assert.equal(me.json().role, 'manager');
    assert.deepEqual(me.json().memberships.map((m: { organization: { id: string } }) => m.organization.id), [a.organizationId]);
    const userId = me.json().user.id as string;

    // Everything in one go: the invitation used by them, the passkey theirs, the events in the organization's log.
    const inv = (await owner.query('select accepted_at, accepted_by from invitations where id = $1', [id])).rows[0];
    assert.ok(inv.accepted_at);
    assert.equal(inv.accepted_by, userId);
    assert.equal(Number((await owner.query('select count(*) from passkeys where user_id = $1', [userId])).rows[0].count), 1);
    const actions = (
      await owner.query(`select action from audit_events where organization_id = $1 and actor_id = $2 order by occurred_at, id`, [a.organizationId, userId])
    ).rows.map((r) => r.action);
    assert.deepEqual(actions.sort(), ['invitation.accept', 'passkey.create', 'session.create'].sort());

    // Later, in another browser: the passkey alone signs them in, to the organization.
    const signInOptions = (await post('/api/v1/auth/passkey/options', {})).json();
    const signedIn = await post('/api/v1/auth/passkey', { credential: authenticator.get(signInOptions, PUBLIC_URL) });
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    const access = signedIn.cookies.find((c) => c.name === 'aim_access')!;
    const again = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.equal(again.json().user.id, userId);
    assert.equal(again.json().organization.id, a.organizationId);

    // The link worked once.
    const used = await preview(token);
    assert.equal(used.statusCode, 409);
    assert.equal(code(used), 'invitation_used');
    assert.equal(code(await options(token)), 'invitation_used');
  });

  it('refuses a revoked invitation (410), also between the two steps, and creates nothing', async () => {
    const { token, id } = await invite('revoked@example.com');
    const opts = await options(token);
    assert.equal(opts.statusCode, 200);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/invitations/${id}`, headers: a.as.admin.apiKey });
    assert.equal(revoked.statusCode, 200);
    const res = await finish(token, new SoftwareAuthenticator().create(opts.json(), PUBLIC_URL));
    assert.equal(res.statusCode, 410);
    assert.equal(code(res), 'invitation_revoked');
    assert.equal(res.cookies.length, 0);
    assert.equal(code(await preview(token)), 'invitation_revoked');
    assert.equal(code(await options(token)), 'invitation_revoked');
    const users = await t.platform.db.transaction({ organizationId: null }, (tx) => t.app.services.users.findIdByEmail(tx, 'revoked@example.com'));
    assert.equal(users, null, 'no account was created');
  });

  it('refuses an expired invitation (410)', async () => {
    const { token, id } = await invite('expired@example.com');
    const opts = await options(token);
    await owner.query(`update invitations set expires_at = now() - interval '1 minute' where id = $1`, [id]);
    const res = await preview(token);
    assert.equal(res.statusCode, 410);
    assert.equal(code(res), 'invitation_expired');
    assert.match(res.json().error.message, /ask an admin for a new one/);
    assert.equal(code(await options(token)), 'invitation_expired');
    assert.equal(code(await finish(token, new SoftwareAuthenticator().create(opts.json(), PUBLIC_URL))), 'invitation_expired');
  });

  it('binds the challenge to its invitation and takes it once', async () => {
    const first = await invite('bound.one@example.com');
    const second = await invite('bound.two@example.com');
    const opts = await options(first.token);
    const credential = new SoftwareAuthenticator().create(opts.json(), PUBLIC_URL);
    const elsewhere = await finish(second.token, credential);
    assert.equal(elsewhere.statusCode, 400);
    assert.equal(code(elsewhere), 'invalid_challenge', "another invitation's challenge is refused");
    assert.equal(code(await preview(second.token)), undefined, 'the other invitation is untouched');

    const joined = await finish(first.token, credential);
    assert.equal(joined.statusCode, 201, `the refused attempt did not spend the challenge: ${joined.body}`);
    const replay = await finish(first.token, credential);
    assert.equal(replay.statusCode, 400);
    assert.equal(code(replay), 'invalid_challenge');
  });

  it('lets exactly one of two racing finishes with one token win', async () => {
    const { token } = await invite('twotabs@example.com');
    const [o1, o2] = await Promise.all([options(token, 'Tab One'), options(token, 'Tab Two')]);
    const results = await Promise.all([
      finish(token, new SoftwareAuthenticator().create(o1.json(), PUBLIC_URL)),
      finish(token, new SoftwareAuthenticator().create(o2.json(), PUBLIC_URL)),
    ]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409], results.map((r) => r.body).join('\n'));
    assert.equal(code(results.find((r) => r.statusCode === 409)!), 'invitation_used');
    const userId = await t.platform.db.transaction({ organizationId: null }, (tx) => t.app.services.users.findIdByEmail(tx, 'twotabs@example.com'));
    assert.ok(userId, 'the winner has an account');
    const passkeys = await owner.query('select count(*) from passkeys where user_id = $1', [userId]);
    assert.equal(Number(passkeys.rows[0].count), 1, 'one account, one passkey: the loser left nothing behind');

    // The same answer sent twice at once: the challenge is taken once.
    const again = await invite('sameanswer@example.com');
    const credential = new SoftwareAuthenticator().create((await options(again.token)).json(), PUBLIC_URL);
    const twice = await Promise.all([finish(again.token, credential), finish(again.token, credential)]);
    assert.deepEqual(twice.map((r) => r.statusCode).sort(), [201, 400]);
  });

  it('sends a person who already has an account to sign in, then accept while signed in', async () => {
    const existing = await createUser(t, 'lin@example.com', 'Lin');
    const { token } = await invite('lin@example.com', 'viewer');
    assert.equal((await preview(token)).json().accountExists, true);
    const refused = await options(token);
    assert.equal(refused.statusCode, 409);
    assert.equal(code(refused), 'account_exists');

    const stranger = await startSession(t, await createUser(t, 'stranger@example.com', 'Stranger'), null);
    const wrong = await post('/api/v1/invitations/accept', { token }, stranger.headers);
    assert.equal(wrong.statusCode, 403);
    assert.equal(code(wrong), 'invitation_email_mismatch');

    const session = await startSession(t, existing, null);
    const accepted = await post('/api/v1/invitations/accept', { token }, session.headers);
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().role, 'viewer');
    const twice = await post('/api/v1/invitations/accept', { token }, session.headers);
    assert.equal(twice.statusCode, 409);
    assert.equal(code(twice), 'invitation_used');
  });

  it("keeps each organization's invitations its own", async () => {
    const { token, id } = await invite('between@example.com', 'member', b);
    const fromA = await t.app.inject({ method: 'DELETE', url: `/api/v1/invitations/${id}`, headers: a.as.admin.apiKey });
    assert.equal(fromA.statusCode, 404, "another organization's invitation is not found");
    const res = await joinWithPasskey(token);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().organization.id, b.organizationId);
    const access = res.cookies.find((c) => c.name === 'aim_access')!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.deepEqual(me.json().memberships.map((m: { organization: { id: string } }) => m.organization.id), [b.organizationId], 'only the inviting organization');
    const listA = await t.app.inject({ method: 'GET', url: '/api/v1/invitations', headers: a.as.admin.apiKey });
    assert.ok(!listA.json().invitations.some((i: { id: string }) => i.id === id));
  });

  it("revokes an inviter's pending invitations beyond what they may still grant, when their role is lowered or they leave", async () => {
    // The inviter is shown each link: without this, a removed admin could come back through an admin invitation they sent.
    const c = await seedOrganization(t, 'Initrode');
    const promoted = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${c.as.manager.userId}`,
      headers: { ...c.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { role: 'admin' },
    });
    assert.equal(promoted.statusCode, 200, promoted.body);
    const send = async (email: string, role: string) => {
      const res = await post('/api/v1/invitations', { email, role }, c.as.manager.session);
      assert.equal(res.statusCode, 201, res.body);
      return new URL(res.json().link as string).searchParams.get('token')!;
    };
    const asAdmin = await send('backdoor@example.com', 'admin');
    const asManager = await send('second.door@example.com', 'manager');
    const asViewer = await send('viewer.door@example.com', 'viewer');
    const byOther = (await invite('other.admin@example.com', 'admin', c)).token;

    const lowered = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/members/${c.as.manager.userId}`,
      headers: { ...c.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { role: 'manager' },
    });
    assert.equal(lowered.statusCode, 200, lowered.body);
    assert.equal(code(await preview(asAdmin)), 'invitation_revoked', 'a manager cannot grant admin any more');
    assert.equal((await preview(asManager)).statusCode, 200, 'a manager may still grant manager');
    assert.equal((await preview(asViewer)).statusCode, 200);

    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/members/${c.as.manager.userId}`, headers: c.as.admin.apiKey });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(code(await preview(asManager)), 'invitation_revoked', 'nothing a person who left sent stays usable');
    assert.equal(code(await preview(asViewer)), 'invitation_revoked');
    assert.equal(code(await options(asViewer)), 'invitation_revoked');
    assert.equal((await preview(byOther)).statusCode, 200, "another admin's invitation stays");

    const revocations = await owner.query(
      `select details from audit_events where organization_id = $1 and action = 'invitation.revoke' order by seq`,
      [c.organizationId],
    );
    assert.deepEqual(
      revocations.rows.map((r) => `${r.details.role} ${r.details.reason}`).sort(),
      ['admin inviter_role_lowered', 'manager inviter_removed', 'viewer inviter_removed'],
    );
  });

  describe('through an identity provider', () => {
    async function throughProvider(startUrl: string, account: string) {
      idp.signInAs(account);
      const start = await t.app.inject({ method: 'GET', url: startUrl, headers: AT_AIM });
      assert.equal(start.statusCode, 302, start.body);
      const back = await idp.authorize(String(start.headers.location));
      return t.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, headers: { ...AT_AIM, cookie: stateCookie(start) } });
    }

    it('joins the invited organization with the invited role and lands on the overview signed in to it', async () => {
      idp.accounts.set('hedy-sub', { email: 'hedy@example.com', email_verified: true, name: 'Hedy Lamarr' });
      // Another organization invited the address too: the session still starts in the one whose link was used.
      await invite('hedy@example.com', 'viewer', a);
      const { token } = await invite('hedy@example.com', 'manager', b);
      const startUrl = (await preview(token)).json().providers[0].startUrl as string;
      const res = await throughProvider(startUrl, 'hedy-sub');
      assert.equal(res.statusCode, 302, res.body);
      assert.equal(res.headers.location, '/');
      const access = res.cookies.find((c) => c.name === 'aim_access')!;
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
      assert.equal(me.json().user.name, 'Hedy Lamarr');
      assert.equal(me.json().organization.id, b.organizationId);
      assert.equal(me.json().role, 'manager');
      assert.equal(code(await preview(token)), 'invitation_used');
    });

    it('refuses a provider account with another address, and creates nothing', async () => {
      idp.accounts.set('eve-sub', { email: 'eve@example.com', email_verified: true, name: 'Eve' });
      await invite('eve@example.com', 'viewer', a); // eve is invited elsewhere: without the check she would get in
      const { token } = await invite('frances@example.com', 'manager', b);
      const res = await throughProvider((await preview(token)).json().providers[0].startUrl, 'eve-sub');
      assert.equal(signInRefusal(res), 'invitation_email_mismatch');
      assert.doesNotMatch(String(res.headers.location), new RegExp(token), 'the invitation token is not put in the page URL');
      const eve = await t.platform.db.transaction({ organizationId: null }, (tx) => t.app.services.users.findIdByEmail(tx, 'eve@example.com'));
      assert.equal(eve, null, 'nothing was created: the whole sign-in rolled back');
      assert.equal((await preview(token)).statusCode, 200, 'the invitation is still pending');
    });

    it('never gives an account made with an invitation link to whoever a provider vouches for at its address (pre-hijacking)', async () => {
      // The inviter is shown the link too: with it, they make an account for someone else's address and keep its passkey.
      const { token } = await invite('ada@example.com', 'viewer', a);
      const made = await joinWithPasskey(token, new SoftwareAuthenticator(), 'Not Ada');
      assert.equal(made.statusCode, 201, made.body);
      const squatted = (await t.platform.db.transaction({ organizationId: null }, (tx) => t.app.services.users.findIdByEmail(tx, 'ada@example.com')))!;

      // The address's owner, invited by another organization, signs in through the deployment's provider.
      idp.accounts.set('ada-sub', { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' });
      const { token: fromB } = await invite('ada@example.com', 'member', b);
      const offered = (await preview(fromB)).json();
      assert.equal(offered.accountExists, true);
      assert.deepEqual(offered.providers, [], 'no provider is offered: it could only refuse');
      const refused = await throughProvider(`/api/v1/auth/oidc/oidc/start?invitation=${encodeURIComponent(fromB)}`, 'ada-sub');
      assert.equal(signInRefusal(refused), 'no_access');
      // And without a link, a plain sign-in.
      const plain = await throughProvider('/api/v1/auth/oidc/oidc/start', 'ada-sub');
      assert.equal(signInRefusal(plain), 'no_access');

      const identities = await owner.query('select count(*) from user_identities where user_id = $1', [squatted]);
      assert.equal(Number(identities.rows[0].count), 0, 'the provider account was not linked to the account made with the link');
      const memberships = await owner.query('select organization_id from memberships where user_id = $1', [squatted]);
      assert.deepEqual(memberships.rows.map((r) => r.organization_id), [a.organizationId], "B's invitation did not join it either");
      assert.equal((await preview(fromB)).statusCode, 200, "B's invitation is still pending");
    });

    it('refuses to start with an unusable invitation, on the sign-in page', async () => {
      const { token, id } = await invite('late.idp@example.com');
      await t.app.inject({ method: 'DELETE', url: `/api/v1/invitations/${id}`, headers: a.as.admin.apiKey });
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/oidc/start?invitation=${encodeURIComponent(token)}`, headers: AT_AIM });
      assert.equal(signInRefusal(res), 'invitation_revoked');
      assert.doesNotMatch(String(res.headers.location), new RegExp(token), 'the invitation token is not put in the page URL');
    });
  });
});

const target = testTargets()[0]!;
describe(`joining through an invitation: rate limit [${target.name}]`, () => {
  let t: TestApp;
  let a: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_SIGN_IN_MAX: '3' } });
    a = await seedOrganization(t, 'Limited');
  });
  after(() => t?.close());

  it('limits the steps taken with one link like sign-in steps (429 with Retry-After)', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...a.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { email: 'busy@example.com', role: 'member' },
    });
    const token = new URL(created.json().link).searchParams.get('token')!;
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await t.app.inject({ method: 'POST', url: '/api/v1/invitations/preview', headers: { 'content-type': 'application/json' }, payload: { token } });
      statuses.push(last.statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(last!.json().error.code, 'rate_limited');
    assert.ok(Number(last!.headers['retry-after']) > 0);
  });
});
