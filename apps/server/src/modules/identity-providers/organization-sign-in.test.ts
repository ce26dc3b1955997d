import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { signInRefusal, startLocalIdp, stateCookie, type LocalIdp } from '../../testing/local-idp.js';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

const PUBLIC_URL = 'http://aim.test:8080';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;

forEachTarget("an organization's own identity provider and domains", (target) => {
  let idp: LocalIdp;
  let t: TestApp;
  let strict: TestApp;
  let org: SeededOrganization;
  const txt = new Map<string, string[][]>();

  before(async () => {
    idp = await startLocalIdp(CALLBACK);
    t = await createTestApp(target, {
      env: { PUBLIC_URL, OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', RATE_LIMIT_SIGN_IN_MAX: '1000' },
      dnsTxt: async (name) => {
        const records = txt.get(name);
        if (!records) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
        return records;
      },
    });
    strict = await createTestApp(target, { env: { PUBLIC_URL } });
    org = await seedOrganization(t, 'Acme');
  });
  after(async () => {
    await strict?.close();
    await t?.close();
    await idp?.stop();
  });

  const admin = () => ({ ...org.as.admin.apiKey, 'content-type': 'application/json' });

  it('verifies a claimed domain by its DNS TXT record; one organization per domain', async () => {
    const claimed = await t.app.inject({ method: 'POST', url: '/api/v1/domains', headers: admin(), payload: { domain: 'Acme.Example', defaultRole: 'member' } });
    assert.equal(claimed.statusCode, 201, claimed.body);
    const { verification, domain } = claimed.json();
    assert.equal(domain, 'acme.example');
    const early = await t.app.inject({ method: 'POST', url: `/api/v1/domains/${domain}/verify`, headers: org.as.admin.apiKey });
    assert.equal(early.statusCode, 409);
    txt.set(verification.recordName, [[verification.recordValue.slice(0, 10), verification.recordValue.slice(10)]]);
    const verified = await t.app.inject({ method: 'POST', url: `/api/v1/domains/${domain}/verify`, headers: org.as.admin.apiKey });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.json().verified, true);

    const rival = await seedOrganization(t, 'Rival');
    const rivalClaim = await t.app.inject({
      method: 'POST',
      url: '/api/v1/domains',
      headers: { ...rival.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { domain: 'acme.example' },
    });
    assert.equal(rivalClaim.statusCode, 201);
    txt.set(rivalClaim.json().verification.recordName, [[rivalClaim.json().verification.recordValue]]);
    const rivalVerify = await t.app.inject({ method: 'POST', url: '/api/v1/domains/acme.example/verify', headers: rival.as.admin.apiKey });
    assert.equal(rivalVerify.statusCode, 409);
    assert.match(rivalVerify.json().error.message, /another organization/);
  });

  it('adds a provider after loading its discovery document, keeps the secret out of every answer, and signs people in with it', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/identity-providers',
      headers: admin(),
      payload: { preset: 'oidc', displayName: 'Acme SSO', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret },
    });
    assert.equal(created.statusCode, 201, created.body);
    const provider = created.json();
    assert.ok(!JSON.stringify(provider).includes(idp.clientSecret));
    assert.equal(provider.redirectUri, CALLBACK);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/identity-providers', headers: org.as.viewer.apiKey });
    assert.equal(list.json().identityProviders.length, 1);
    assert.ok(!list.body.includes(idp.clientSecret));

    // Someone invited signs in through the organization's provider and lands in the organization.
    await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: admin(), payload: { email: 'ken@acme.example', role: 'member' } });
    idp.accounts.set('ken', { email: 'ken@acme.example', email_verified: true, name: 'Ken' });
    idp.signInAs('ken');
    const start = await t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/${provider.id}/start`, headers: { host: 'aim.test:8080' } });
    assert.equal(start.statusCode, 302, start.body);
    const back = await idp.authorize(String(start.headers.location));
    const done = await t.app.inject({ method: 'GET', url: `${back.pathname}${back.search}`, headers: { host: 'aim.test:8080', cookie: stateCookie(start) } });
    assert.equal(done.statusCode, 302, done.body);
    const access = done.cookies.find((c) => c.name === 'aim_access')!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.equal(me.json().organization.id, org.organizationId);

    // Another organization's admin cannot use their own provider to sign in as one of these people.
    const rival = await seedOrganization(t, 'Rival');
    const rivalIdp = await t.app.inject({
      method: 'POST',
      url: '/api/v1/identity-providers',
      headers: { ...rival.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { preset: 'oidc', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret },
    });
    assert.equal(rivalIdp.statusCode, 201);
    for (const [account, email] of [
      ['forged-admin', `admin.${org.organizationId.slice(-8)}@example.com`],
      ['forged-ken', 'ken@acme.example'],
    ] as const) {
      idp.accounts.set(account, { email, email_verified: true, name: 'Not you' });
      idp.signInAs(account);
      const forgedStart = await t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/${rivalIdp.json().id}/start`, headers: { host: 'aim.test:8080' } });
      const forgedBack = await idp.authorize(String(forgedStart.headers.location));
      const forged = await t.app.inject({
        method: 'GET',
        url: `${forgedBack.pathname}${forgedBack.search}`,
        headers: { host: 'aim.test:8080', cookie: stateCookie(forgedStart) },
      });
      assert.equal(signInRefusal(forged), 'no_access', email);
    }

    // Disabled, it no longer starts a sign-in.
    const disabled = await t.app.inject({ method: 'PATCH', url: `/api/v1/identity-providers/${provider.id}`, headers: admin(), payload: { enabled: false } });
    assert.equal(disabled.json().enabled, false);
    assert.equal(signInRefusal(await t.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/${provider.id}/start`, headers: { host: 'aim.test:8080' } })), 'not_found');
  });

  it('refuses an issuer on an internal address unless the deployment allows it (server-side request forgery)', async () => {
    const strictOrg = await seedOrganization(strict, 'Strict');
    const loopbackName = idp.issuer.replace('127.0.0.1', 'localhost').replace('http:', 'https:');
    for (const issuer of [idp.issuer, 'http://169.254.169.254/latest', 'https://127.0.0.1:9/x', loopbackName]) {
      const res = await strict.app.inject({
        method: 'POST',
        url: '/api/v1/identity-providers',
        headers: { ...strictOrg.as.admin.apiKey, 'content-type': 'application/json' },
        payload: { preset: 'oidc', issuer, clientId: 'c', clientSecret: 's' },
      });
      assert.equal(res.statusCode, 400, `${issuer}: ${res.body}`);
      assert.equal(res.json().error.code, 'validation_failed', issuer);
      assert.match(res.json().error.message, /cannot be used/);
    }
    const list = await strict.app.inject({ method: 'GET', url: '/api/v1/identity-providers', headers: strictOrg.as.admin.apiKey });
    assert.equal(list.json().identityProviders.length, 0);
  });

});
