import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sha256 } from '../../platform/crypto/tokens.js';
import { signInRefusal, startLocalIdp, stateCookie, type LocalIdp } from '../../testing/local-idp.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

const PUBLIC_URL = 'http://aim.test:8080';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
/** A browser at PUBLIC_URL names its host; sign-ins start there (elsewhere they are sent there first). */
const AT_AIM = { host: 'aim.test:8080' };

forEachTarget('sign-in with OpenID Connect (local oidc-provider)', (target) => {
  let idp: LocalIdp;
  let t: TestApp;
  let org: SeededOrganization;
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
        OIDC_OKTA_ISSUER: 'http://127.0.0.1:1',
        OIDC_OKTA_CLIENT_ID: 'x',
        OIDC_OKTA_CLIENT_SECRET: 'y',
        RATE_LIMIT_SIGN_IN_MAX: '1000',
      },
    });
    org = await seedOrganization(t, 'Acme');
    owner = await t.owner();
  });
  after(async () => {
    await t?.close();
    await idp?.stop();
  });

  const count = async (table: string) => Number((await owner.query(`select count(*) from ${table}`)).rows[0].count);

  /** Start at AIM, click through the provider, and come back: the callback URL (unsent) and the browser's cookie. */
  async function throughProvider(account: string, returnTo = '/agents'): Promise<Back> {
    idp.signInAs(account);
    const start = await t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/oidc/start?returnTo=${encodeURIComponent(returnTo)}`, headers: AT_AIM });
    assert.equal(start.statusCode, 302, start.body);
    const location = new URL(String(start.headers.location));
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(location.searchParams.get('state') && location.searchParams.get('nonce'));
    const back = await idp.authorize(location.href);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    return Object.assign(back, { cookie: stateCookie(start) });
  }
  type Back = URL & { cookie: string };
  const finish = (back: Back | URL, cookie = (back as Back).cookie) =>
    t.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, headers: cookie ? { ...AT_AIM, cookie } : AT_AIM });

  it('starts a sign-in only at the public URL: another Host is sent there, never put in the redirect URI', async () => {
    for (const host of ['127.0.0.1:8080', 'aim.evil.example', 'localhost']) {
      const start = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/oidc/start?returnTo=%2Fagents', headers: { host } });
      assert.equal(start.statusCode, 307, start.body);
      assert.equal(start.headers.location, `${PUBLIC_URL}/api/v1/auth/oidc/oidc/start?returnTo=%2Fagents`);
    }
    const forwarded = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/oidc/oidc/start',
      headers: { ...AT_AIM, 'x-forwarded-host': 'aim.evil.example', 'x-forwarded-proto': 'https' },
    });
    assert.equal(forwarded.statusCode, 302, 'without TRUST_PROXY, forwarded headers are not believed');
    assert.equal(new URL(String(forwarded.headers.location)).searchParams.get('redirect_uri'), CALLBACK);
  });

  it('lists the deployment providers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/providers' });
    assert.deepEqual(
      res.json().providers.map((p: { id: string }) => p.id),
      ['okta', 'oidc'],
    );
  });

  it('signs in an invited person end to end: creates them, joins the organization, sets the session cookies', async () => {
    idp.accounts.set('grace-sub', { email: 'grace@acme.example', email_verified: true, name: 'Grace Hopper' });
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { email: 'grace@acme.example', role: 'manager' },
    });
    assert.equal(invited.statusCode, 201);
    const res = await finish(await throughProvider('grace-sub'));
    assert.equal(res.statusCode, 302, res.body);
    assert.equal(res.headers.location, '/agents');
    const access = res.cookies.find((c) => c.name === 'aim_access')!;
    assert.ok(access.httpOnly);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().user.email, 'grace@acme.example');
    assert.equal(me.json().user.name, 'Grace Hopper');
    assert.equal(me.json().organization.id, org.organizationId);
    assert.equal(me.json().role, 'manager');

    // Next time, the same account at the provider finds the same person.
    const again = await finish(await throughProvider('grace-sub'));
    assert.equal(again.statusCode, 302);
    assert.equal(await count(`users where id = '${me.json().user.id}'`), 1);
  });

  it('turns away a person nobody invited, creating nothing', async () => {
    idp.accounts.set('eve-sub', { email: 'eve@elsewhere.example', email_verified: true, name: 'Eve' });
    const users = await count('users');
    const res = await finish(await throughProvider('eve-sub'));
    assert.equal(signInRefusal(res), 'no_access');
    assert.equal(await count('users'), users);
    assert.equal(await count("user_identities where subject = 'eve-sub'"), 0);
  });

  it('refuses an address the provider does not vouch for', async () => {
    idp.accounts.set('unverified-sub', { email: 'grace@acme.example', email_verified: false, name: 'Not Grace' });
    const res = await finish(await throughProvider('unverified-sub'));
    assert.equal(signInRefusal(res), 'email_not_verified');
  });

  it('joins people from a verified claimed domain with its default role', async () => {
    await owner.query(
      `insert into organization_domains (organization_id, domain, default_role, verification_token, verified_at) values ($1, 'acme.example', 'viewer', 't', now())`,
      [org.organizationId],
    );
    idp.accounts.set('lin-sub', { email: 'lin@acme.example', email_verified: true, name: 'Lin' });
    const res = await finish(await throughProvider('lin-sub', '/'));
    assert.equal(res.statusCode, 302, res.body);
    const access = res.cookies.find((c) => c.name === 'aim_access')!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.equal(me.json().role, 'viewer');
  });

  it('uses each state once, and refuses unknown state', async () => {
    idp.accounts.set('grace-sub', { email: 'grace@acme.example', email_verified: true, name: 'Grace Hopper' });
    const back = await throughProvider('grace-sub');
    assert.equal((await finish(back)).statusCode, 302);
    const replay = await finish(back);
    assert.equal(signInRefusal(replay), 'invalid_state');
    const forged = new URL(back);
    forged.searchParams.set('state', 'forged-state');
    assert.equal(signInRefusal(await finish(forged, back.cookie)), 'invalid_state');
  });

  it("refuses a callback in a browser that did not start the sign-in (login CSRF)", async () => {
    const sessions = await count('sessions');
    const back = await throughProvider('grace-sub');
    const elsewhere = await finish(back, '');
    assert.equal(signInRefusal(elsewhere), 'invalid_state');
    const otherBrowser = await finish(back, 'aim_oidc=somebody-elses-cookie');
    assert.equal(signInRefusal(otherBrowser), 'invalid_state');
    assert.equal(await count('sessions'), sessions);
  });

  it('refuses a tampered authorization code and an ID token for another nonce, signing no one in', async () => {
    const sessions = await count('sessions');
    const back = await throughProvider('grace-sub');
    const badCode = new URL(back);
    badCode.searchParams.set('code', `${back.searchParams.get('code')}x`);
    const res = await finish(badCode, back.cookie);
    assert.equal(signInRefusal(res), 'invalid_authorization_code');

    const other = await throughProvider('grace-sub');
    const key = `oidc:state:${sha256(other.searchParams.get('state')!).toString('hex')}`;
    const pending = JSON.parse((await t.platform.store.get(key))!);
    await t.platform.store.set(key, JSON.stringify({ ...pending, nonce: 'another-nonce' }), 60_000);
    const nonce = await finish(other);
    assert.equal(signInRefusal(nonce), 'invalid_nonce');
    assert.equal(await count('sessions'), sessions);
  });

  it('sends a provider error (the person declined) to the sign-in page with its code, never the provider text', async () => {
    const sessions = await count('sessions');
    const back = await throughProvider('grace-sub');
    const declined = new URL(back);
    declined.searchParams.delete('code');
    declined.searchParams.set('error', 'access_denied');
    declined.searchParams.set('error_description', '<script>alert(1)</script>');
    const res = await finish(declined, back.cookie);
    assert.equal(signInRefusal(res), 'sign_in_denied');
    assert.doesNotMatch(String(res.headers.location), /script|access_denied/);
    assert.equal(await count('sessions'), sessions);
  });

  it('sends a callback with a malformed query or without state to the sign-in page too', async () => {
    const long = await t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/callback?state=${'x'.repeat(600)}`, headers: AT_AIM });
    assert.equal(signInRefusal(long), 'validation_failed');
    const bare = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/callback', headers: AT_AIM });
    assert.equal(signInRefusal(bare), 'invalid_state');
    assert.match(String(bare.headers['set-cookie']), /aim_oidc=;/, 'the sign-in cookie is cleared whatever happened');
  });

  it('sends the browser to the sign-in page when the provider cannot be reached', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/okta/start', headers: AT_AIM });
    assert.equal(signInRefusal(res), 'idp_unavailable');
    assert.equal(res.cookies.filter((c) => c.name === 'aim_oidc').length, 0, 'no sign-in was started');
  });

  it('sends a provider that does not exist to the sign-in page, and never redirects off-site after sign-in', async () => {
    assert.equal(signInRefusal(await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/google/start', headers: AT_AIM })), 'not_found');
    const res = await finish(await throughProvider('grace-sub', 'https://evil.example/phish'));
    assert.equal(res.headers.location, '/');
  });
});

// No PUBLIC_URL: AIM's address is http://localhost:<PORT> (80 in these tests), and only that.
forEachTarget('OpenID Connect redirect URI without PUBLIC_URL', (target) => {
  let idp: LocalIdp;
  let t: TestApp;
  before(async () => {
    idp = await startLocalIdp('http://localhost/api/v1/auth/oidc/callback');
    t = await createTestApp(target, { env: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret } });
  });
  after(async () => {
    await t?.close();
    await idp?.stop();
  });

  it('names the default public URL in the redirect URI; a request under another Host is sent there first', async () => {
    const start = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/oidc/start' });
    assert.equal(start.statusCode, 302, start.body);
    assert.equal(new URL(String(start.headers.location)).searchParams.get('redirect_uri'), 'http://localhost/api/v1/auth/oidc/callback');
    for (const host of ['127.0.0.1', 'aim.evil.example:8080']) {
      const elsewhere = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/oidc/start', headers: { host } });
      assert.equal(elsewhere.statusCode, 307, elsewhere.body);
      assert.equal(elsewhere.headers.location, 'http://localhost/api/v1/auth/oidc/oidc/start');
    }
  });
});
