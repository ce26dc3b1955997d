import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, sign } from 'node:crypto';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { newAgentKey, proofFor, registerAgent, signedHeaders, signedInject, type TestAgentKey } from '../../testing/agent-fixtures.js';

/** docs/agent-identity.md §4: what AIM accepts as a signed agent request, and what it refuses. */
forEachTarget('signed agent requests', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  let key: TestAgentKey;
  let agentId: string;
  before(async () => {
    t = await createTestApp(target);
    org = await seedOrganization(t);
    ({ key, agent: { id: agentId } } = await registerAgent(t, org.as.member.apiKey));
  });
  after(() => t?.close());

  const code = (res: { json(): { error?: { code: string } } }) => res.json().error?.code;

  it('accepts a signed request, knows which agent sent it, and records when the key was last used', async () => {
    const res = await signedInject(t, key, { url: '/api/v1/agents/me' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().agent.id, agentId);
    await t.platform.agentKeyUsage.flush();
    const { agent } = (await t.app.inject({ method: 'GET', url: `/api/v1/agents/${agentId}`, headers: org.as.viewer.apiKey })).json();
    assert.ok(agent.lastSeenAt !== null && Date.parse(agent.lastSeenAt) <= Date.now());
    assert.equal(agent.keys[0].lastUsedAt, agent.lastSeenAt);
  });

  it('refuses the same request replayed, on the same nonce', async () => {
    const headers = signedHeaders(key, { url: '/api/v1/agents/me' });
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers })).statusCode, 200);
    const replay = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers });
    assert.equal(replay.statusCode, 401);
    assert.equal(code(replay), 'replayed_request');
  });

  it('covers the query: an altered query does not verify', async () => {
    const res = await signedInject(t, key, { url: '/api/v1/agents/me?x=1', sendUrl: '/api/v1/agents/me?x=2' });
    assert.equal(res.statusCode, 401);
    assert.equal(code(res), 'invalid_signature');
    const other = await signedInject(t, key, { url: '/api/v1/agents/me', origin: 'https://elsewhere.example' });
    assert.equal(code(other), 'invalid_signature', 'the signature names another host');
  });

  it('verifies against AIM’s public address whatever Host the request names, and says which address to sign', async () => {
    // No PUBLIC_URL: AIM's address is http://localhost (PORT 80 in tests), however it is reached.
    const signed = signedHeaders(key, { url: '/api/v1/agents/me' });
    const reachedElsewhere = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: { ...signed, host: '127.0.0.1:8080' } });
    assert.equal(reachedElsewhere.statusCode, 200, reachedElsewhere.body);
    for (const host of ['127.0.0.1:8080', 'aim.evil.example']) {
      const asReached = signedHeaders(key, { url: '/api/v1/agents/me', origin: `http://${host}` });
      const refused = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: { ...asReached, host } });
      assert.equal(code(refused), 'invalid_signature', host);
      assert.match(refused.json().error.message, new RegExp(`sign AIM's public address http://localhost instead`), refused.body);
    }
  });

  it('checks the body against Content-Digest over the raw bytes received', async () => {
    const url = '/api/v1/oauth/token';
    const body = '{"grant_type":"client_credentials"}';
    const ok = await signedInject(t, key, { method: 'POST', url, body });
    assert.equal(ok.statusCode, 200, ok.body);
    // Same JSON value, different bytes: the digest is over bytes, not over parsed JSON.
    const respaced = await signedInject(t, key, { method: 'POST', url, body, sendBody: '{"grant_type": "client_credentials"}' });
    assert.equal(respaced.statusCode, 401);
    assert.equal(code(respaced), 'digest_mismatch');
    const wrongDigest = await signedInject(t, key, {
      method: 'POST',
      url,
      body,
      digest: `sha-256=:${createHash('sha256').update('other').digest('base64')}:`,
    });
    assert.equal(code(wrongDigest), 'digest_mismatch');
    const uncovered = await signedInject(t, key, { method: 'POST', url, body, components: ['@method', '@target-uri'] });
    assert.equal(uncovered.statusCode, 400);
    assert.equal(code(uncovered), 'malformed_signature');
  });

  it('refuses old and future signatures, and reports the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = await signedInject(t, key, { url: '/api/v1/agents/me', created: now - 301 });
    assert.equal(old.statusCode, 401);
    assert.equal(code(old), 'stale_signature');
    const details = old.json().error.details;
    assert.ok(details.skewSeconds >= 301 && details.skewSeconds <= 303, JSON.stringify(details));
    assert.equal(details.created, now - 301);
    const future = await signedInject(t, key, { url: '/api/v1/agents/me', created: now + 60 });
    assert.equal(code(future), 'stale_signature');
    assert.ok(future.json().error.details.skewSeconds <= -59);
    assert.match(future.json().error.message, /future/);
    const expired = await signedInject(t, key, { url: '/api/v1/agents/me', extraParams: `;expires=${now - 1}` });
    assert.equal(code(expired), 'stale_signature');
    const slightlyOld = await signedInject(t, key, { url: '/api/v1/agents/me', created: now - 290 });
    assert.equal(slightlyOld.statusCode, 200, 'inside the window');
  });

  it('refuses unknown keys, malformed headers and unsupported parameters, each with its code', async () => {
    const stranger = newAgentKey();
    assert.equal(code(await signedInject(t, stranger, { url: '/api/v1/agents/me' })), 'unknown_key');
    const cases: [string, Record<string, string>][] = [
      ['no Signature', (() => { const h = signedHeaders(key, { url: '/api/v1/agents/me' }); delete h.signature; return h; })()],
      ['labels differ', (() => { const h = signedHeaders(key, { url: '/api/v1/agents/me' }); h.signature = h.signature!.replace(/^aim=/, 'other='); return h; })()],
      ['not a dictionary', { 'signature-input': 'garbage(((', signature: 'aim=:AA==:' }],
      ['no @target-uri', signedHeaders(key, { url: '/api/v1/agents/me', components: ['@method'] })],
      ['short nonce', signedHeaders(key, { url: '/api/v1/agents/me', nonce: 'abc' })],
      ['unknown parameter', signedHeaders(key, { url: '/api/v1/agents/me', extraParams: ';foo=1' })],
      ['another algorithm', (() => { const h = signedHeaders(key, { url: '/api/v1/agents/me' }); h['signature-input'] = h['signature-input']!.replace('ed25519', 'rsa-pss-sha512'); return h; })()],
      ['two signatures', (() => { const h = signedHeaders(key, { url: '/api/v1/agents/me' }); h['signature-input'] = `${h['signature-input']}, b=${h['signature-input']!.slice(4)}`; return h; })()],
    ];
    for (const [name, headers] of cases) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers });
      assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
      assert.equal(code(res), 'malformed_signature', name);
    }
    const tampered = signedHeaders(key, { url: '/api/v1/agents/me' });
    tampered.signature = `aim=:${randomBytes(64).toString('base64')}:`;
    assert.equal(code(await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: tampered })), 'invalid_signature');
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me' });
    assert.equal(none.statusCode, 401);
    assert.equal(code(none), 'unauthenticated');
    const apiKey = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me', headers: org.as.admin.apiKey });
    assert.equal(apiKey.statusCode, 403, 'agent routes are for agents');
  });

  it('refuses a body on GET, which could not be checked against its digest', async () => {
    const res = await signedInject(t, key, { url: '/api/v1/agents/me', body: '{}' });
    assert.equal(res.statusCode, 400);
    assert.equal(code(res), 'malformed_signature');
  });

  it('does not spend a nonce on a request that failed its checks', async () => {
    const nonce = randomBytes(16).toString('base64url');
    const bad = await signedInject(t, key, { url: '/api/v1/agents/me?a=1', sendUrl: '/api/v1/agents/me?a=2', nonce });
    assert.equal(code(bad), 'invalid_signature');
    const good = await signedInject(t, key, { url: '/api/v1/agents/me', nonce });
    assert.equal(good.statusCode, 200, good.body);
  });

  it('accepts extra covered headers, another label and the default port in the Host header', async () => {
    const headers = signedHeaders(key, { url: '/api/v1/agents/me?x=%2F', components: ['@method', '@target-uri', '@authority', '@path', '@query', 'x-trace'], label: 'sig1' });
    // x-trace is covered but was not part of the signed headers map: add it and re-sign.
    const withHeader = signedHeadersWith(key, '/api/v1/agents/me?x=%2F', { 'x-trace': ' abc ' });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me?x=%2F', headers: withHeader });
    assert.equal(res.statusCode, 200, res.body);
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/agents/me?x=%2F', headers });
    assert.equal(code(missing), 'malformed_signature', 'a covered header the request lacks');
  });
});

/** A request covering derived components and a header, built independently of the fixture's component mapping. */
function signedHeadersWith(key: TestAgentKey, url: string, extra: Record<string, string>): Record<string, string> {
  const created = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(16).toString('base64url');
  const params = `("@method" "@target-uri" "@authority" "@path" "@query" "x-trace");created=${created};nonce="${nonce}";keyid="${key.keyId}"`;
  const [path, query] = url.split('?');
  const base = [
    `"@method": GET`,
    `"@target-uri": http://localhost${url}`,
    `"@authority": localhost`,
    `"@path": ${path}`,
    `"@query": ?${query}`,
    `"x-trace": ${extra['x-trace']!.trim()}`,
    `"@signature-params": ${params}`,
  ].join('\n');
  return {
    ...extra,
    'signature-input': `sig1=${params}`,
    signature: `sig1=:${signBase(key, base)}:`,
  };
}

function signBase(key: TestAgentKey, base: string): string {
  return sign(null, Buffer.from(base), key.privateKey).toString('base64');
}

forEachTarget('signed agent requests behind a public URL with a path', (target) => {
  let t: TestApp;
  let key: TestAgentKey;
  before(async () => {
    t = await createTestApp(target, { env: { PUBLIC_URL: 'https://aim.example.com/identity', SERVE_DASHBOARD: 'false' } });
    const org = await seedOrganization(t);
    const origin = 'https://aim.example.com/identity';
    key = newAgentKey();
    const c = (await t.app.inject({ method: 'POST', url: '/api/v1/agent-challenges' })).json().challenge;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: { ...org.as.member.apiKey, 'content-type': 'application/json' },
      payload: { name: 'behind-proxy', publicKey: key.jwk, challenge: c, proof: proofFor(key, 'register', c, origin) },
    });
    assert.equal(res.statusCode, 201, res.body);
  });
  after(() => t?.close());

  it('signs the public URL, path prefix included, whatever the Host header says', async () => {
    const ok = await signedInject(t, key, { url: '/api/v1/agents/me', origin: 'https://aim.example.com/identity' });
    assert.equal(ok.statusCode, 200, ok.body);
    const hostOnly = await signedInject(t, key, { url: '/api/v1/agents/me', origin: 'https://aim.example.com' });
    assert.equal(hostOnly.json().error.code, 'invalid_signature');
    const asReached = await signedInject(t, key, { url: '/api/v1/agents/me', origin: 'http://localhost' });
    assert.equal(asReached.json().error.code, 'invalid_signature');
  });
});
