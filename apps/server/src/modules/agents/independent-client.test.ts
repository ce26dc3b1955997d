/**
 * An agent client written independently, from docs/agent-identity.md alone (plus docs/errors.md and
 * docs/openapi.json for the management API), run against the real server over real HTTP.
 *
 * It deliberately imports nothing of AIM's agent code, SDK or contracts: keys, thumbprints, proofs of
 * possession, Content-Digest and the RFC 9421 signature base are built here with node:crypto only, and
 * the third-party `jose` is used only to verify agent tokens against the JWKS and to build an RFC 7523
 * client assertion. If this suite passes, a third party can implement the protocol from the document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

// ---------------------------------------------------------------------------------------------
// The client (docs/agent-identity.md §1–§6), node:crypto only.
// ---------------------------------------------------------------------------------------------

/** An agent key pair: the private key never leaves this object. */
interface AgentKeyPair {
  privateKey: KeyObject;
  /** base64url (no padding) of the 32 raw public key bytes; also the JWK `x`. */
  x: string;
  /** RFC 7638 thumbprint (§1). */
  keyid: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

/** §1: SHA-256 of exactly `{"crv":"Ed25519","kty":"OKP","x":"<x>"}`, base64url without padding. */
function thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'utf8').digest('base64url');
}

function keyPairFrom(privateKey: KeyObject): AgentKeyPair {
  const exported = createPublicKey(privateKey).export({ format: 'jwk' });
  const x = exported.x;
  if (typeof x !== 'string') throw new Error('no x');
  return { privateKey, x, keyid: thumbprint(x), jwk: { kty: 'OKP', crv: 'Ed25519', x } };
}

function generateAgentKey(): AgentKeyPair {
  return keyPairFrom(generateKeyPairSync('ed25519').privateKey);
}

function agentKeyFromJwk(d: string, x: string): AgentKeyPair {
  return keyPairFrom(createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' }));
}

/** §2: the five lines, joined by \n, no trailing newline; signature in base64url (86 characters). */
function proofOfPossession(server: Server, key: AgentKeyPair, purpose: 'register' | 'rotate', challenge: string): string {
  const message = ['aim-proof-of-possession-v1', purpose, server.signBase, challenge, key.keyid].join('\n');
  return sign(null, Buffer.from(message, 'utf8'), key.privateKey).toString('base64url');
}

/** §4a: RFC 9530 Content-Digest, sha-256, standard base64 with padding between colons. */
function contentDigest(body: Buffer): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

interface SignOptions {
  method: string;
  /** Absolute URL as it will be signed (AIM's public URL, or how it is addressed). */
  targetUri: string;
  key: AgentKeyPair;
  body?: Buffer;
  created?: number;
  nonce?: string;
  label?: string;
}

interface SignedParts {
  headers: Record<string, string>;
  /** The §4d signature base, for the test vector. */
  base: string;
}

/** §4: the headers of an RFC 9421 signed request: Content-Digest (if a body), Signature-Input, Signature. */
function signRequest(o: SignOptions): SignedParts {
  const label = o.label ?? 'aim';
  const created = o.created ?? Math.floor(Date.now() / 1000);
  const nonce = o.nonce ?? randomBytes(16).toString('base64url');
  // §4b: sign the URL as the HTTP client will send it: normalize with the URL parser first.
  const targetUri = new URL(o.targetUri).href;
  const components: [string, string][] = [
    ['@method', o.method.toUpperCase()],
    ['@target-uri', targetUri],
  ];
  const headers: Record<string, string> = {};
  if (o.body !== undefined) {
    headers['content-digest'] = contentDigest(o.body);
    components.push(['content-digest', headers['content-digest']]);
  }
  // §4d: canonical Structured Fields serialization, parameters in the order sent.
  const params =
    `(${components.map(([name]) => `"${name}"`).join(' ')})` +
    `;created=${created};nonce="${nonce}";keyid="${o.key.keyid}";alg="ed25519"`;
  const base = [...components.map(([name, value]) => `"${name}": ${value}`), `"@signature-params": ${params}`].join('\n');
  const signature = sign(null, Buffer.from(base, 'utf8'), o.key.privateKey).toString('base64');
  headers['signature-input'] = `${label}=${params}`;
  headers['signature'] = `${label}=:${signature}:`;
  return { headers, base };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers (real sockets, fetch).
// ---------------------------------------------------------------------------------------------

// Answers are JSON of shapes given by the documentation; tests assert on them.
type Json = any;

interface Answer {
  status: number;
  body: Json;
}

async function send(url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<Answer> {
  const res = await fetch(url, { method: init.method, headers: init.headers ?? {}, body: init.body ?? null });
  const text = await res.text();
  let body: Json = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body };
}

const jsonBody = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

interface Server {
  t: TestApp;
  /** How this client reaches AIM over the network. */
  reach: string;
  /** The base URL the client signs: AIM's public address (`PUBLIC_URL`, or http://localhost:<port>), however it is reached. */
  signBase: string;
  metadata: Json;
}

async function startServer(target: Parameters<typeof createTestApp>[0], env: Record<string, string> = {}, signBase?: string): Promise<Server> {
  const t = await createTestApp(target, { env });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on a port');
  const reach = `http://127.0.0.1:${address.port}`;
  const metadata = await send(`${reach}/.well-known/oauth-authorization-server`, { method: 'GET' });
  assert.equal(metadata.status, 200, JSON.stringify(metadata.body));
  return { t, reach, signBase: signBase ?? t.platform.publicOrigin.baseUrl, metadata: metadata.body };
}

/** The agent side: a key and the calls the document describes. */
class Agent {
  constructor(
    readonly server: Server,
    public key: AgentKeyPair,
    public id = '',
  ) {}

  /** The signed request's pieces, to send (possibly more than once, or tampered with). */
  prepare(method: string, path: string, body?: unknown, options: { created?: number; key?: AgentKeyPair } = {}) {
    const raw = body === undefined ? undefined : jsonBody(body);
    const signed = signRequest({
      method,
      targetUri: `${this.server.signBase}${path}`,
      key: options.key ?? this.key,
      ...(raw ? { body: raw } : {}),
      ...(options.created !== undefined ? { created: options.created } : {}),
    });
    const headers: Record<string, string> = { ...signed.headers };
    if (raw) headers['content-type'] = 'application/json';
    return { url: `${this.server.reach}${path}`, method, headers, ...(raw ? { body: raw } : {}) };
  }

  signed(method: string, path: string, body?: unknown, options: { created?: number; key?: AgentKeyPair } = {}): Promise<Answer> {
    return send(...splitPrepared(this.prepare(method, path, body, options)));
  }

  me(key?: AgentKeyPair): Promise<Answer> {
    return this.signed('GET', '/api/v1/agents/me', undefined, key ? { key } : {});
  }

  /** §5a, signed. */
  async token(audience?: string): Promise<Answer> {
    return this.signed('POST', '/api/v1/oauth/token', { grant_type: 'client_credentials', ...(audience ? { audience } : {}) });
  }
}

function splitPrepared(p: { url: string; method: string; headers: Record<string, string>; body?: Buffer }) {
  return [p.url, { method: p.method, headers: p.headers, ...(p.body ? { body: p.body } : {}) }] as const;
}

async function challenge(server: Server): Promise<string> {
  const res = await send(`${server.reach}/api/v1/agent-challenges`, { method: 'POST' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.match(res.body.challenge, /^[A-Za-z0-9_-]+$/);
  assert.ok(Date.parse(res.body.expiresAt) > Date.now());
  return res.body.challenge as string;
}

/** §3a: register through the management API with an API key. */
async function register(server: Server, apiKey: Record<string, string>, name: string, key = generateAgentKey()): Promise<{ agent: Agent; answer: Answer }> {
  const c = await challenge(server);
  const answer = await send(`${server.reach}/api/v1/agents`, {
    method: 'POST',
    headers: { ...apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ name, publicKey: key.jwk, challenge: c, proof: proofOfPossession(server, key, 'register', c), tags: ['independent'] }),
  });
  return { agent: new Agent(server, key, answer.body?.agent?.id ?? ''), answer };
}

/** A compact JWS made by hand (node:crypto), for a token signed by a key that is not AIM's. */
function compactJws(header: object, payload: object, key: KeyObject): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body?.error?.code, code, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.error.message, 'string');
  assert.equal(typeof answer.body.error.requestId, 'string');
}

// ---------------------------------------------------------------------------------------------
// The §4a test vector (no server needed).
// ---------------------------------------------------------------------------------------------

describe('independent agent client: the documented test vector (§4a, §4d)', () => {
  it('reproduces the key id, Content-Digest, signature base and Signature of §4a exactly', () => {
    const key = agentKeyFromJwk('nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    assert.equal(key.x, '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    assert.equal(key.keyid, 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    const body = Buffer.from('{"hello": "world"}', 'utf8');
    assert.equal(body.length, 18);
    const signed = signRequest({
      method: 'POST',
      targetUri: 'https://aim.example.com/api/v1/oauth/token?x=1',
      key,
      body,
      created: 1764273600,
      nonce: 'k3W3o1qQ5n0Y3t8dXh2u9A',
      label: 'aim',
    });
    assert.equal(signed.headers['content-digest'], 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    assert.equal(
      signed.headers['signature-input'],
      'aim=("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";alg="ed25519"',
    );
    assert.equal(
      signed.base,
      [
        '"@method": POST',
        '"@target-uri": https://aim.example.com/api/v1/oauth/token?x=1',
        '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
        '"@signature-params": ("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";alg="ed25519"',
      ].join('\n'),
    );
    assert.ok(!signed.base.endsWith('\n'));
    assert.equal(
      signed.headers['signature'],
      'aim=:YKvY2FX+4i0nhI1wOmjozcuVPm3ZhAcUa3vmeivhLBrHLrsVLz32cJYPSJTC+RjfNeNW9t6Uk7PDnm/mIGMQBg==:',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real server.
// ---------------------------------------------------------------------------------------------

forEachTarget('independent agent client', (target) => {
  let server: Server;
  let org: SeededOrganization;
  before(async () => {
    // No PUBLIC_URL: the client reaches AIM at 127.0.0.1 and signs its public address, http://localhost:<port>.
    server = await startServer(target);
    org = await seedOrganization(server.t, 'Independent');
    // §5a: an admin allows the downstream audience this suite asks tokens for (PATCH /api/v1/organization).
    const allowed = await send(`${server.reach}/api/v1/organization`, {
      method: 'PATCH',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ agentTokenAudiences: ['https://downstream.example'] }),
    });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  });
  after(() => server?.t.close());

  const introspect = (token: string, apiKey: Record<string, string>) =>
    send(`${server.reach}/api/v1/oauth/introspect`, {
      method: 'POST',
      headers: { ...apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });

  it('publishes issuer metadata whose endpoints match the documented paths', () => {
    const m = server.metadata;
    assert.equal(typeof m.issuer, 'string');
    assert.equal(m.token_endpoint, `${m.issuer}/api/v1/oauth/token`);
    assert.equal(m.introspection_endpoint, `${m.issuer}/api/v1/oauth/introspect`);
    assert.equal(m.jwks_uri, `${m.issuer}/.well-known/jwks.json`);
    assert.ok(m.grant_types_supported.includes('client_credentials'));
    assert.ok(m.token_endpoint_auth_signing_alg_values_supported.includes('EdDSA'));
  });

  it('registers with an API key and a proof of possession, then calls as the agent with signed GET and POST', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'independent-bot');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const a = answer.body.agent;
    assert.match(a.id, /^agt_[0-9a-z]{26}$/);
    assert.equal(a.organizationId, org.organizationId);
    assert.equal(a.status, 'active');
    assert.equal(a.trustTier, 'medium', 'registration answers the first score');
    assert.equal(typeof a.trustScore, 'number');
    assert.equal(a.trustConfidence, 0.57);
    assert.equal(a.ownerId, org.as.member.userId, 'defaults to the person who created the API key');
    assert.equal(a.keys.length, 1);
    assert.equal(a.keys[0].id, agent.key.keyid, 'the key id is the RFC 7638 thumbprint');
    assert.deepEqual(a.keys[0].publicKey, agent.key.jwk);
    assert.equal(a.keys[0].status, 'active');
    assert.ok(!JSON.stringify(answer.body).includes('"d"'), 'no private part anywhere');

    const me = await agent.me();
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.agent.id, agent.id);

    // A POST with a JSON body, covered through Content-Digest.
    const token = await agent.token();
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.token_type, 'Bearer');
    assert.equal(token.body.expires_in, 600);
    assert.equal(typeof token.body.access_token, 'string');

    // Another label than `aim` works too (§4a: the label is the client's choice).
    const labelled = signRequest({ method: 'GET', targetUri: `${server.signBase}/api/v1/agents/me`, key: agent.key, label: 'sig1' });
    const viaLabel = await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: labelled.headers });
    assert.equal(viaLabel.status, 200, JSON.stringify(viaLabel.body));

    // The same key cannot be registered twice; a challenge is single use; a wrong proof is refused.
    const again = await register(server, org.as.member.apiKey, 'independent-bot-2', agent.key);
    assertError(again.answer, 409, 'key_already_registered');
    const other = generateAgentKey();
    const c = await challenge(server);
    const badProof = await send(`${server.reach}/api/v1/agents`, {
      method: 'POST',
      headers: { ...org.as.member.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bad-proof', publicKey: other.jwk, challenge: c, proof: proofOfPossession(server, other, 'rotate', c) }),
    });
    assertError(badProof, 400, 'invalid_proof');
    // "A request refused at any step changes nothing and spends nothing" (§2): the same challenge still works.
    const good = await send(`${server.reach}/api/v1/agents`, {
      method: 'POST',
      headers: { ...org.as.member.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'good-proof', publicKey: other.x, challenge: c, proof: proofOfPossession(server, other, 'register', c) }),
    });
    assert.equal(good.status, 201, JSON.stringify(good.body));
    const third = generateAgentKey();
    const reused = await send(`${server.reach}/api/v1/agents`, {
      method: 'POST',
      headers: { ...org.as.member.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reused', publicKey: third.jwk, challenge: c, proof: proofOfPossession(server, third, 'register', c) }),
    });
    assertError(reused, 400, 'invalid_challenge');
  });

  it('refuses a replay, an altered query, an altered body and a stale signature with the documented codes', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'tamper-target');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));

    // Replay: the very same headers, sent twice.
    const once = agent.prepare('GET', '/api/v1/agents/me');
    const first = await send(...splitPrepared(once));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assertError(await send(...splitPrepared(once)), 401, 'replayed_request');

    // Altered query: signed for ?page=1, sent with ?page=2.
    const query = agent.prepare('GET', '/api/v1/agents/me?page=1');
    assertError(await send(query.url.replace('page=1', 'page=2'), { method: 'GET', headers: query.headers }), 401, 'invalid_signature');
    // The untampered one, with its query, is fine (the query is part of @target-uri).
    const withQuery = await send(...splitPrepared(query));
    assert.equal(withQuery.status, 200, JSON.stringify(withQuery.body));

    // Altered body: the signature (over the Content-Digest header) verifies, the digest does not.
    const post = agent.prepare('POST', '/api/v1/oauth/token', { grant_type: 'client_credentials' });
    const altered = jsonBody({ grant_type: 'client_credentials', audience: 'https://evil.example' });
    assertError(await send(post.url, { method: 'POST', headers: post.headers, body: altered }), 401, 'digest_mismatch');
    // A refused request spends nothing: the original, with the same nonce, still goes through.
    const original = await send(...splitPrepared(post));
    assert.equal(original.status, 200, JSON.stringify(original.body));

    // A body without Content-Digest is malformed.
    const noDigest = agent.prepare('GET', '/api/v1/agents/me');
    const missing = await send(`${server.reach}/api/v1/oauth/token`, {
      method: 'POST',
      headers: { ...noDigest.headers, 'content-type': 'application/json' },
      body: jsonBody({ grant_type: 'client_credentials' }),
    });
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
    assert.equal(missing.body.error.code, 'malformed_signature');

    // Stale: created 10 minutes ago.
    const created = Math.floor(Date.now() / 1000) - 600;
    const stale = await agent.signed('GET', '/api/v1/agents/me', undefined, { created });
    assertError(stale, 401, 'stale_signature');
    const details = stale.body.error.details;
    assert.equal(details.created, created);
    assert.equal(typeof details.serverTime, 'number');
    assert.ok(details.skewSeconds >= 598 && details.skewSeconds <= 620, `skewSeconds ${details.skewSeconds}`);
    assert.equal(details.skewSeconds, details.serverTime - details.created);

    // An unknown key.
    assertError(await agent.me(generateAgentKey()), 401, 'unknown_key');
  });

  it('gets an agent token, verifies it offline with jose against the JWKS over HTTP, and uses it as Bearer', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'token-bot');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const issued = await agent.token();
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const token: string = issued.body.access_token;

    const issuer: string = server.metadata.issuer;
    // The JWKS fetched over the network at the documented path (the jwks_uri's path, on the address we reach).
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', server.reach));
    const before = Math.floor(Date.now() / 1000);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer,
      audience: issuer,
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(typeof protectedHeader.kid, 'string');
    assert.equal(payload.iss, issuer);
    assert.equal(payload.aud, issuer);
    assert.equal(payload.sub, agent.id);
    assert.equal(payload.org, org.organizationId);
    assert.equal(payload.status, 'active');
    assert.equal(payload.trust_tier, 'medium', 'the tier of the first score, computed at registration');
    assert.deepEqual(payload.cnf, { jkt: agent.key.keyid });
    assert.equal(typeof payload.jti, 'string');
    assert.ok(payload.exp! > before && payload.exp! - payload.iat! === 600, `iat ${payload.iat} exp ${payload.exp}`);

    // The JWKS itself is what the document says.
    const set = await send(`${server.reach}/.well-known/jwks.json`, { method: 'GET' });
    assert.equal(set.status, 200);
    const jwk = set.body.keys.find((k: Json) => k.kid === protectedHeader.kid);
    assert.ok(jwk, 'the token kid is in the JWKS');
    assert.equal(jwk.kty, 'OKP');
    assert.equal(jwk.crv, 'Ed25519');
    assert.equal(jwk.alg, 'EdDSA');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.d, undefined);

    // The same claims signed by another key (not AIM's) fail verification: the check above is real.
    const forged = compactJws(
      { alg: 'EdDSA', kid: protectedHeader.kid!, typ: 'at+jwt' },
      { ...payload, exp: Math.floor(Date.now() / 1000) + 300 },
      generateKeyPairSync('ed25519').privateKey,
    );
    await assert.rejects(jwtVerify(forged, jwks, { issuer, audience: issuer, algorithms: ['EdDSA'] }));

    // The token as Bearer.
    const me = await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.agent.id, agent.id);
    // Codes for refused tokens are not spelled out in §5c; errors.md's invalid_token fits.
    const forgedUse = await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: { authorization: `Bearer ${forged}` } });
    assertError(forgedUse, 401, 'invalid_token');

    // An audience the organization has not allowed is refused.
    assertError(await agent.token('https://not-allowed.example'), 403, 'audience_not_allowed');
    // A token for a downstream audience verifies with that audience and is not accepted by AIM itself.
    const downstream = await agent.token('https://downstream.example');
    assert.equal(downstream.status, 200, JSON.stringify(downstream.body));
    const verified = await jwtVerify(downstream.body.access_token, jwks, { issuer, audience: 'https://downstream.example', algorithms: ['EdDSA'] });
    assert.equal(verified.payload.sub, agent.id);
    const misused = await send(`${server.reach}/api/v1/agents/me`, {
      method: 'GET',
      headers: { authorization: `Bearer ${downstream.body.access_token}` },
    });
    assertError(misused, 401, 'invalid_token');

    // Live introspection (§5c) with an API key of the organization.
    const live = await introspect(token, org.as.viewer.apiKey);
    assert.equal(live.status, 200, JSON.stringify(live.body));
    assert.equal(live.body.active, true);
    assert.equal(live.body.sub, agent.id);
    assert.equal(live.body.org, org.organizationId);
    assert.equal(live.body.status, 'active');
    assert.deepEqual(live.body.cnf, { jkt: agent.key.keyid });
    const garbage = await introspect('not-a-jwt', org.as.viewer.apiKey);
    assert.equal(garbage.status, 200);
    assert.deepEqual(garbage.body, { active: false });
  });

  it('gets a token with an RFC 7523 client assertion (aud = token_endpoint from the metadata)', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'assertion-bot');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const assertion = () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: agent.key.keyid })
        .setIssuer(agent.id)
        .setSubject(agent.id)
        .setAudience(server.metadata.token_endpoint as string)
        .setJti(randomBytes(16).toString('base64url'))
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(agent.key.privateKey);
    const jwt = await assertion();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
    }).toString();
    const post = (body: string, type: string) =>
      send(`${server.reach}/api/v1/oauth/token`, { method: 'POST', headers: { 'content-type': type }, body });
    const issued = await post(form, 'application/x-www-form-urlencoded');
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const { payload } = await jwtVerify(issued.body.access_token, createRemoteJWKSet(new URL('/.well-known/jwks.json', server.reach)), {
      issuer: server.metadata.issuer,
      audience: server.metadata.issuer,
      algorithms: ['EdDSA'],
    });
    assert.equal(payload.sub, agent.id);
    // The jti is single use.
    assertError(await post(form, 'application/x-www-form-urlencoded'), 401, 'invalid_client_assertion');
    // As JSON, with a new assertion.
    const json = await post(
      JSON.stringify({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(),
      }),
      'application/json',
    );
    assert.equal(json.status, 200, JSON.stringify(json.body));
    // Signed by a key that is not the agent's.
    const stranger = generateAgentKey();
    const wrong = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: agent.key.keyid })
      .setIssuer(agent.id)
      .setSubject(agent.id)
      .setAudience(server.metadata.token_endpoint as string)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(stranger.privateKey);
    assertError(
      await post(
        JSON.stringify({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: wrong }),
        'application/json',
      ),
      401,
      'invalid_client_assertion',
    );
  });

  it('after a revocation by an admin, introspection answers {"active": false} at once and the agent is refused', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'revoke-target');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const issued = await agent.token();
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const token: string = issued.body.access_token;
    assert.equal((await introspect(token, org.as.admin.apiKey)).body.active, true);

    const revoked = await send(`${server.reach}/api/v1/agents/${agent.id}/revoke`, {
      method: 'POST',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'independent client test' }),
    });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.equal(revoked.body.agent.status, 'revoked');

    const live = await introspect(token, org.as.admin.apiKey);
    assert.equal(live.status, 200, JSON.stringify(live.body));
    assert.deepEqual(live.body, { active: false });

    // The token, still within its exp, is refused.
    const bearer = await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    assertError(bearer, 403, 'agent_revoked');
    // Signed requests are refused (§4e step 7), including asking for a new token.
    assertError(await agent.me(), 403, 'agent_revoked');
    assertError(await agent.token(), 403, 'agent_revoked');
  });

  it('a suspension shows at once, and a reactivation restores the agent', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'suspend-target');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const token: string = (await agent.token()).body.access_token;
    const lifecycle = (action: string) =>
      send(`${server.reach}/api/v1/agents/${agent.id}/${action}`, {
        method: 'POST',
        headers: { ...org.as.manager.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: `independent ${action}` }),
      });
    assert.equal((await lifecycle('suspend')).status, 200);
    assert.deepEqual((await introspect(token, org.as.admin.apiKey)).body, { active: false });
    assertError(await agent.me(), 403, 'agent_suspended');
    assertError(await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: { authorization: `Bearer ${token}` } }), 403, 'agent_suspended');
    assert.equal((await lifecycle('reactivate')).status, 200);
    assert.equal((await agent.me()).status, 200);
    assert.equal((await introspect(token, org.as.admin.apiKey)).body.active, true);
  });

  it('revoking one key refuses it with key_revoked', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'key-revoke-target');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const res = await send(`${server.reach}/api/v1/agents/${agent.id}/keys/${agent.key.keyid}/revoke`, {
      method: 'POST',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'lost laptop' }),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assertError(await agent.me(), 401, 'key_revoked');
  });

  it('rotates keys with a 1-second overlap: both work inside it, then the old one is key_expired', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'rotation-bot');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const oldKey = agent.key;
    const oldToken: string = (await agent.token()).body.access_token;
    const newKey = generateAgentKey(); // kept before sending (§6 step 4)

    // Before the rotation the new key is unknown: this is how a client learns a lost answer did not land.
    assertError(await agent.me(newKey), 401, 'unknown_key');

    const c = await challenge(server);
    const rotated = await agent.signed('POST', '/api/v1/agents/me/keys', {
      publicKey: newKey.x,
      challenge: c,
      proof: proofOfPossession(server, newKey, 'rotate', c),
      overlapSeconds: 1,
    });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const keys = rotated.body.agent.keys as Json[];
    const oldEntry = keys.find((k) => k.id === oldKey.keyid);
    const newEntry = keys.find((k) => k.id === newKey.keyid);
    assert.equal(newEntry?.status, 'active');
    assert.equal(oldEntry?.status, 'rotating_out');
    assert.ok(oldEntry.expiresAt, 'the old key has an end');
    agent.key = newKey;

    // Inside the overlap both keys work.
    const withOld = await agent.me(oldKey);
    const withNew = await agent.me(newKey);
    assert.equal(withOld.status, 200, `old key inside the overlap: ${JSON.stringify(withOld.body)}`);
    assert.equal(withNew.status, 200, JSON.stringify(withNew.body));

    // After it, wait with a real timer a little past expiresAt.
    const wait = Math.max(0, Date.parse(oldEntry.expiresAt) - Date.now()) + 1_200;
    assert.ok(wait <= 3_500, `overlap ends in ${wait} ms`);
    await sleep(wait);
    assertError(await agent.me(oldKey), 401, 'key_expired');
    const still = await agent.me(newKey);
    assert.equal(still.status, 200, JSON.stringify(still.body));
    assert.equal(still.body.agent.id, agent.id);

    // Tokens obtained with the old key never outlive the overlap.
    assert.deepEqual((await introspect(oldToken, org.as.admin.apiKey)).body, { active: false });
    const oldBearer = await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: { authorization: `Bearer ${oldToken}` } });
    assertError(oldBearer, 401, 'key_expired');
    // A token from the new key works.
    const fresh = await agent.token();
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  });

  it('spends a rotation challenge only when a rotation succeeds (§2, §6)', async () => {
    const { agent, answer } = await register(server, org.as.member.apiKey, 'refused-rotation-bot');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const first = agent.key;
    const second = generateAgentKey();
    const third = generateAgentKey();
    const c = await challenge(server);
    const rotate = (next: AgentKeyPair, proofKey: AgentKeyPair, signer: AgentKeyPair, overlapSeconds = 3600) =>
      agent.signed('POST', '/api/v1/agents/me/keys', { publicKey: next.jwk, challenge: c, proof: proofOfPossession(server, proofKey, 'rotate', c), overlapSeconds }, { key: signer });
    // Refused: the body (overlap above 604800), then the proof (made by another key).
    assertError(await rotate(second, second, first, 700_000), 400, 'validation_failed');
    assertError(await rotate(second, third, first), 400, 'invalid_proof');
    // "A refused rotation changes nothing and spends nothing": the same challenge rotates.
    const rotated = await rotate(second, second, first);
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    // The replaced key, inside its overlap, may not rotate (forbidden) — a fresh challenge, which that refusal leaves usable...
    const c2 = await challenge(server);
    const withC2 = (signer: AgentKeyPair) =>
      agent.signed('POST', '/api/v1/agents/me/keys', { publicKey: third.jwk, challenge: c2, proof: proofOfPossession(server, third, 'rotate', c2), overlapSeconds: 0 }, { key: signer });
    assertError(await withC2(first), 403, 'forbidden');
    // ...for the current key.
    const byCurrent = await withC2(second);
    assert.equal(byCurrent.status, 201, JSON.stringify(byCurrent.body));
    // A used challenge stays used.
    const fourth = generateAgentKey();
    const reused = await agent.signed(
      'POST',
      '/api/v1/agents/me/keys',
      { publicKey: fourth.jwk, challenge: c2, proof: proofOfPossession(server, fourth, 'rotate', c2) },
      { key: third },
    );
    assertError(reused, 400, 'invalid_challenge');
  });

  it('self-registers with an enrollment token created through the management API (§3b)', async () => {
    const created = await send(`${server.reach}/api/v1/enrollment-tokens`, {
      method: 'POST',
      headers: { ...org.as.manager.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'enrolled-bot', capabilities: ['db:read'], expiresInSeconds: 600 }),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const enrollmentToken: string = created.body.token;
    assert.match(enrollmentToken, /^aim_enr_/);

    // The agent process: no credentials but the token, its own key in raw base64url form.
    const key = generateAgentKey();
    const enroll = async (k: AgentKeyPair) => {
      const c = await challenge(server);
      return send(`${server.reach}/api/v1/agents/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ enrollmentToken, publicKey: k.x, challenge: c, proof: proofOfPossession(server, k, 'register', c), purpose: 'Independent test' }),
      });
    };
    const enrolled = await enroll(key);
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    const a = enrolled.body.agent;
    assert.equal(a.name, 'enrolled-bot', 'the default name of the token');
    assert.equal(a.organizationId, org.organizationId);
    assert.equal(a.ownerId, org.as.manager.userId, "the token's owner");
    assert.deepEqual(a.requestedCapabilities, ['db:read']);
    assert.equal(a.enrolledWith, created.body.enrollmentToken.id);
    assert.equal(a.keys[0].id, key.keyid);

    const agent = new Agent(server, key, a.id);
    const me = await agent.me();
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.agent.id, a.id);

    // Single use.
    assertError(await enroll(generateAgentKey()), 400, 'invalid_enrollment_token');
  });
});

// A deployment with a PUBLIC_URL, reached by another address: the client signs the public URL (§4b).
forEachTarget('independent agent client behind a PUBLIC_URL', (target) => {
  const publicUrl = 'https://aim.independent.example';
  let server: Server;
  let org: SeededOrganization;
  before(async () => {
    server = await startServer(target, { PUBLIC_URL: publicUrl }, publicUrl);
    org = await seedOrganization(server.t, 'Public');
  });
  after(() => server?.t.close());

  it('signs the public URL, not the address it reaches, and gets tokens issued by the public URL', async () => {
    assert.equal(server.metadata.issuer, publicUrl);
    assert.equal(server.metadata.token_endpoint, `${publicUrl}/api/v1/oauth/token`);
    const { agent, answer } = await register(server, org.as.member.apiKey, 'public-bot');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const me = await agent.me();
    assert.equal(me.status, 200, JSON.stringify(me.body));

    // Signing the address reached instead of the public URL does not verify.
    const wrongBase = signRequest({ method: 'GET', targetUri: `${server.reach}/api/v1/agents/me`, key: agent.key });
    assertError(await send(`${server.reach}/api/v1/agents/me`, { method: 'GET', headers: wrongBase.headers }), 401, 'invalid_signature');

    // §4b: sign the URL as fetch will send it (spaces percent-encoded, dot segments resolved).
    const odd = await agent.signed('GET', '/api/v1/agents/./me?q=a b');
    assert.equal(odd.status, 200, JSON.stringify(odd.body));

    const issued = await agent.token();
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const { payload } = await jwtVerify(issued.body.access_token, createRemoteJWKSet(new URL('/.well-known/jwks.json', server.reach)), {
      issuer: publicUrl,
      audience: publicUrl,
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
    });
    assert.equal(payload.sub, agent.id);
  });
});
