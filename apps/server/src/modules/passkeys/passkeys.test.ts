import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { ORIGIN, seedOrganization, startSession, type SeededOrganization } from '../../testing/people-fixtures.js';
import { SoftwareAuthenticator } from '../../testing/software-authenticator.js';

forEachTarget('passkeys (software authenticator)', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_SIGN_IN_MAX: '1000' } });
    org = await seedOrganization(t);
  });
  after(() => t?.close());

  const post = (url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: payload ?? {} });

  async function register(authenticator: SoftwareAuthenticator, headers: Record<string, string>, name: string) {
    const options = (await post('/api/v1/me/passkeys/options', headers)).json();
    const credential = authenticator.create(options, ORIGIN);
    return post('/api/v1/me/passkeys', headers, { name, credential });
  }
  async function signIn(authenticator: SoftwareAuthenticator, tweak?: (c: ReturnType<SoftwareAuthenticator['get']>) => void) {
    const options = (await post('/api/v1/auth/passkey/options', { origin: ORIGIN })).json();
    const credential = authenticator.get(options, ORIGIN);
    tweak?.(credential);
    return post('/api/v1/auth/passkey', { origin: ORIGIN }, { credential });
  }

  it('registers several named passkeys, signs in with one, renames and removes them', async () => {
    const session = await startSession(t, org.as.member.userId, org.organizationId);
    const laptop = new SoftwareAuthenticator();
    const phone = new SoftwareAuthenticator(false);
    const first = await register(laptop, session.headers, 'Laptop');
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().name, 'Laptop');
    assert.equal((await register(phone, session.headers, 'Phone')).statusCode, 201);
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/me/passkeys', headers: session.headers });
    assert.deepEqual(list.json().passkeys.map((p: { name: string }) => p.name), ['Laptop', 'Phone']);

    const res = await signIn(laptop);
    assert.equal(res.statusCode, 200, res.body);
    const access = res.cookies.find((c) => c.name === 'aim_access')!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `aim_access=${access.value}` } });
    assert.equal(me.json().user.id, org.as.member.userId);
    assert.equal(me.json().organization.id, org.organizationId);
    assert.equal((await signIn(phone)).statusCode, 200, 'an authenticator without a counter works too');

    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/me/passkeys/${first.json().id}`,
      headers: { ...session.headers, 'content-type': 'application/json' },
      payload: { name: 'Old laptop' },
    });
    assert.equal(renamed.json().name, 'Old laptop');
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/passkeys/${first.json().id}`, headers: session.headers });
    assert.equal(removed.statusCode, 200);
    const after = await signIn(laptop);
    assert.equal(after.statusCode, 400);
    assert.equal(after.json().error.code, 'invalid_assertion');

    // The phone's passkey is now the only way this person signs in: it stays.
    const [last] = (await t.app.inject({ method: 'GET', url: '/api/v1/me/passkeys', headers: session.headers })).json().passkeys;
    const refused = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/passkeys/${last.id}`, headers: session.headers });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'last_sign_in_method');
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/me/passkeys', headers: session.headers })).json().passkeys.length, 1);
    assert.equal((await signIn(phone)).statusCode, 200, 'and still signs in');
  });

  it("cannot rename or remove another person's passkey", async () => {
    const mine = await startSession(t, org.as.viewer.userId, org.organizationId);
    const created = await register(new SoftwareAuthenticator(), mine.headers, 'Mine');
    const other = await startSession(t, org.as.admin.userId, org.organizationId);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/passkeys/${created.json().id}`, headers: other.headers });
    assert.equal(res.statusCode, 404);
  });

  it('refuses a replayed challenge, a forged signature, another origin, another account and a counter that goes backwards', async () => {
    const session = await startSession(t, org.as.manager.userId, org.organizationId);
    const key = new SoftwareAuthenticator();
    assert.equal((await register(key, session.headers, 'Key')).statusCode, 201);

    // Replay with an authenticator that keeps no counter: only the single-use challenge can stop it.
    const synced = new SoftwareAuthenticator(false);
    assert.equal((await register(synced, session.headers, 'Synced')).statusCode, 201);
    const options = (await post('/api/v1/auth/passkey/options', { origin: ORIGIN })).json();
    const assertion = synced.get(options, ORIGIN);
    assert.equal((await post('/api/v1/auth/passkey', { origin: ORIGIN }, { credential: assertion })).statusCode, 200);
    const replay = await post('/api/v1/auth/passkey', { origin: ORIGIN }, { credential: assertion });
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().error.code, 'invalid_assertion');
    assert.match(replay.json().error.message, /challenge/i);

    const wrongAccount = await signIn(key, (c) => {
      c.response.userHandle = Buffer.from(org.as.admin.userId).toString('base64url');
    });
    assert.equal(wrongAccount.statusCode, 400, wrongAccount.body);
    assert.equal(wrongAccount.json().error.code, 'invalid_assertion');

    const forged = await signIn(key, (c) => {
      const sig = Buffer.from(c.response.signature, 'base64url');
      sig[sig.length - 1]! ^= 1;
      c.response.signature = sig.toString('base64url');
    });
    assert.equal(forged.json().error.code, 'invalid_assertion');

    const phishOptions = (await post('/api/v1/auth/passkey/options', { origin: ORIGIN })).json();
    const phished = key.get(phishOptions, 'https://aim.evil.example');
    assert.equal((await post('/api/v1/auth/passkey', { origin: ORIGIN }, { credential: phished })).json().error.code, 'invalid_assertion');

    assert.equal((await signIn(key)).statusCode, 200, 'the genuine key moves its counter forward');
    const cloneOptions = (await post('/api/v1/auth/passkey/options', { origin: ORIGIN })).json();
    const cloned = key.get(cloneOptions, ORIGIN, key.credentials[0], { counter: 1 });
    const res = await post('/api/v1/auth/passkey', { origin: ORIGIN }, { credential: cloned });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'invalid_assertion');
  });

  it('binds passkeys to AIM’s public origin, whatever Host a request names', async () => {
    const session = await startSession(t, org.as.viewer.userId, org.organizationId);
    const elsewhere = { host: 'aim.evil.example' };
    const creation = await post('/api/v1/me/passkeys/options', { ...session.headers, ...elsewhere });
    assert.equal(creation.statusCode, 200, creation.body);
    assert.equal(creation.json().rp.id, 'localhost', 'the relying party is the public host, not the one the request named');
    const key = new SoftwareAuthenticator();
    // What a browser at the other host would make: bound to that origin, refused.
    const foreign = new SoftwareAuthenticator().create(creation.json(), 'http://aim.evil.example');
    assert.equal((await post('/api/v1/me/passkeys', { ...session.headers, ...elsewhere }, { name: 'Foreign', credential: foreign })).json().error.code, 'invalid_assertion');
    assert.equal((await register(key, session.headers, 'Public')).statusCode, 201);

    const request = await post('/api/v1/auth/passkey/options', { origin: 'http://aim.evil.example', ...elsewhere });
    assert.equal(request.json().rpId, 'localhost');
    const phished = key.get(request.json(), 'http://aim.evil.example');
    assert.equal((await post('/api/v1/auth/passkey', { origin: 'http://aim.evil.example', ...elsewhere }, { credential: phished })).json().error.code, 'invalid_assertion');
    assert.equal((await signIn(key)).statusCode, 200);
  });

  it('needs a signed-in person to register a passkey', async () => {
    const res = await post('/api/v1/me/passkeys/options', {});
    assert.equal(res.statusCode, 401);
  });
});

forEachTarget('sign-in rate limits', (target) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_SIGN_IN_MAX: '2' } });
  });
  after(() => t?.close());

  it('limits sign-in steps per client, and per passkey whatever the client', async () => {
    const from = (ip: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/passkey/options', remoteAddress: ip });
    assert.equal((await from('198.51.100.7')).statusCode, 200);
    assert.equal((await from('198.51.100.7')).statusCode, 200);
    const over = await from('198.51.100.7');
    assert.equal(over.statusCode, 429);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    assert.equal((await from('198.51.100.8')).statusCode, 200, 'another client is not limited');

    const guess = (ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/passkey',
        remoteAddress: ip,
        payload: { credential: { id: 'same-credential', rawId: 'same-credential', type: 'public-key', response: {} } },
      });
    assert.equal((await guess('203.0.113.1')).statusCode, 400);
    assert.equal((await guess('203.0.113.2')).statusCode, 400);
    assert.equal((await guess('203.0.113.3')).statusCode, 429, 'the same passkey from a third client is limited');
  });
});
