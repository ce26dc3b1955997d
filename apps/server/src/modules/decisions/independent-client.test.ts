/**
 * Acceptance test written as an independent client of the decision protocol, from the documents alone:
 * docs/authorization.md (capabilities, policies, decisions), docs/agent-identity.md (keys, proof of
 * possession, enrollment, RFC 9421 signatures, agent tokens), docs/errors.md, docs/permissions.md, and
 * docs/openapi.json for the management API's field names.
 *
 * It imports nothing of AIM's agent code, SDK (packages/sdk), contracts or signing fixtures
 * (testing/agent-fixtures.ts): key generation, the RFC 7638 thumbprint, the proof of possession, RFC 9530
 * Content-Digest and the RFC 9421 signature base are built here with node:crypto only. Every request goes
 * over a real socket with fetch to the server listening on an ephemeral port; people act through API keys
 * (testing/people-fixtures.ts), and the audit log is checked both through the API and in the database.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, listenPublic, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

// ---------------------------------------------------------------------------------------------
// Keys (agent-identity.md §1) and proof of possession (§2).
// ---------------------------------------------------------------------------------------------

interface Ed25519Key {
  privateKey: KeyObject;
  /** The 32 raw public key bytes, base64url without padding (43 characters); the JWK `x`. */
  x: string;
  /** RFC 7638 thumbprint: base64url(SHA-256(`{"crv":"Ed25519","kty":"OKP","x":"<x>"}`)). */
  keyid: string;
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function keyFromPrivate(privateKey: KeyObject): Ed25519Key {
  // The SPKI DER of an Ed25519 public key ends with the 32 raw bytes.
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const raw = spki.subarray(spki.length - 32);
  const x = b64url(raw);
  const keyid = b64url(createHash('sha256').update(Buffer.from(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'utf8')).digest());
  return { privateKey, x, keyid };
}

function newKey(): Ed25519Key {
  return keyFromPrivate(generateKeyPairSync('ed25519').privateKey);
}

/** §2 step 2: five lines joined by "\n", no trailing newline; the proof is the signature in base64url (86 characters). */
function proof(key: Ed25519Key, purpose: 'register' | 'rotate', baseUrl: string, challenge: string): string {
  const message = `aim-proof-of-possession-v1\n${purpose}\n${baseUrl}\n${challenge}\n${key.keyid}`;
  const signature = sign(null, Buffer.from(message, 'utf8'), key.privateKey);
  assert.equal(signature.length, 64);
  const encoded = b64url(signature);
  assert.equal(encoded.length, 86);
  return encoded;
}

// ---------------------------------------------------------------------------------------------
// RFC 9421 signed requests (agent-identity.md §4).
// ---------------------------------------------------------------------------------------------

interface SignInput {
  method: string;
  /** The absolute URL the client will send, `<AIM base URL><path>[?query]`. */
  url: string;
  key: Ed25519Key;
  body?: Buffer;
  created?: number;
  nonce?: string;
  label?: string;
}

/** Returns the headers to add (content-digest when there is a body, signature-input, signature) and the base, for the test vector. */
function signHttp(input: SignInput): { headers: Record<string, string>; base: string } {
  const label = input.label ?? 'sig1';
  // §4b: sign the URL as the HTTP client will send it: normalize with the WHATWG URL parser first.
  const targetUri = new URL(input.url).href;
  const covered: { name: string; value: string }[] = [
    { name: '@method', value: input.method.toUpperCase() },
    { name: '@target-uri', value: targetUri },
  ];
  const headers: Record<string, string> = {};
  if (input.body !== undefined && input.body.length > 0) {
    // §4a / RFC 9530: standard base64 with padding, between colons.
    headers['content-digest'] = `sha-256=:${createHash('sha256').update(input.body).digest('base64')}:`;
    covered.push({ name: 'content-digest', value: headers['content-digest'] });
  }
  const created = input.created ?? Math.floor(Date.now() / 1000);
  const nonce = input.nonce ?? b64url(randomBytes(16));
  // §4d: the canonical Structured Fields serialization of the inner list with its parameters, in the order sent.
  const innerList = `(${covered.map((c) => JSON.stringify(c.name)).join(' ')})`;
  const params = `${innerList};created=${created};nonce="${nonce}";keyid="${input.key.keyid}";alg="ed25519"`;
  const lines = covered.map((c) => `"${c.name}": ${c.value}`);
  lines.push(`"@signature-params": ${params}`);
  const base = lines.join('\n');
  const signature = sign(null, Buffer.from(base, 'utf8'), input.key.privateKey);
  headers['signature-input'] = `${label}=${params}`;
  headers['signature'] = `${label}=:${signature.toString('base64')}:`;
  return { headers, base };
}

// ---------------------------------------------------------------------------------------------
// HTTP over real sockets.
// ---------------------------------------------------------------------------------------------

// Answers are JSON of the documented shapes; the tests assert on them.
type Json = any;

interface Answer {
  status: number;
  body: Json;
  /** errors.md: the request id is also in the x-request-id header. */
  requestId: string | null;
}

async function http(url: string, method: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: Json = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed, requestId: res.headers.get('x-request-id') };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

function expectError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body?.error?.code, code, JSON.stringify(answer.body));
  assert.equal(typeof answer.body.error.message, 'string');
  assert.equal(typeof answer.body.error.requestId, 'string');
  assert.equal(answer.body.error.requestId, answer.requestId, 'errors.md: requestId is also the x-request-id header');
}

function expectStatus(answer: Answer, status: number): Json {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  return answer.body;
}

/** A person's client: API key headers. */
class Person {
  constructor(
    private readonly base: string,
    private readonly apiKey: Record<string, string>,
  ) {}
  call(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { ...this.apiKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return http(`${this.base}${path}`, method, headers, body === undefined ? undefined : encode(body));
  }
}

/** The agent's client: signs every request with its key (§4), or sends an agent token (§5). */
class AgentClient {
  id = '';
  constructor(
    private readonly base: string,
    readonly key: Ed25519Key,
  ) {}

  /** Starts the request (so a caller can hold the promise, e.g. a long-poll). */
  signed(method: string, path: string, body?: unknown): Promise<Answer> {
    const raw = body === undefined ? undefined : encode(body);
    const { headers } = signHttp({ method, url: `${this.base}${path}`, key: this.key, ...(raw ? { body: raw } : {}) });
    if (raw) headers['content-type'] = 'application/json';
    return http(`${this.base}${path}`, method, headers, raw);
  }

  withToken(token: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return http(`${this.base}${path}`, method, headers, body === undefined ? undefined : encode(body));
  }

  /** authorization.md §5. */
  verify(agentId: string, request: Record<string, unknown>): Promise<Answer> {
    return this.signed('POST', `/api/v1/agents/${agentId}/verify-action`, request);
  }
}

interface Reason {
  rule: string;
  effect: string;
  message: string;
  policyId: string | null;
  policyVersion: number | null;
  mode: string | null;
  grantId?: string | null;
}

/** The answers the agent received, to find again in the history and the audit log (scenario 6). */
interface Received {
  what: string;
  decisionId: string;
  decision: 'allow' | 'deny' | 'pending';
  requestId: string;
}

const DECISION_ID = /^dec_[0-9a-z]{26}$/;

/** Checks an answer of POST …/verify-action against authorization.md §5 and returns it. */
function decisionAnswer(answer: Answer, expected: 'allow' | 'deny' | 'pending'): Json {
  const body = expectStatus(answer, 200);
  assert.match(body.decisionId, DECISION_ID);
  assert.equal(body.decision, expected, JSON.stringify(body));
  assert.ok(Array.isArray(body.reasons) && body.reasons.length > 0, 'every answer says why');
  for (const r of body.reasons as Reason[]) {
    for (const field of ['rule', 'effect', 'message', 'policyId', 'policyVersion', 'mode']) {
      assert.ok(field in r, `reason has ${field}: ${JSON.stringify(r)}`);
    }
    assert.ok(['allow', 'deny', 'approval', 'flag', 'pass', 'info'].includes(r.effect), r.effect);
  }
  assert.ok(!Number.isNaN(Date.parse(body.evaluatedAt)), 'evaluatedAt is an RFC 3339 time');
  assert.equal(typeof answer.requestId, 'string');
  return body;
}

const reasonOf = (body: Json, rule: string): Reason | undefined => (body.reasons as Reason[]).find((r) => r.rule === rule);

// ---------------------------------------------------------------------------------------------
// The documented test vector: this client's signing is the documented one.
// ---------------------------------------------------------------------------------------------

describe('independent decision client: signing reproduces the agent-identity.md §4a test vector', () => {
  it('gives the documented keyid, Content-Digest, Signature-Input, base and Signature', () => {
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
      format: 'jwk',
    });
    const key = keyFromPrivate(privateKey);
    assert.equal(key.x, '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    assert.equal(key.keyid, 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    const { headers, base } = signHttp({
      method: 'POST',
      url: 'https://aim.example.com/api/v1/oauth/token?x=1',
      key,
      body: Buffer.from('{"hello": "world"}', 'utf8'),
      created: 1764273600,
      nonce: 'k3W3o1qQ5n0Y3t8dXh2u9A',
      label: 'aim',
    });
    assert.equal(headers['content-digest'], 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    assert.equal(
      headers['signature-input'],
      'aim=("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";alg="ed25519"',
    );
    assert.equal(
      base,
      '"@method": POST\n' +
        '"@target-uri": https://aim.example.com/api/v1/oauth/token?x=1\n' +
        '"content-digest": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n' +
        '"@signature-params": ("@method" "@target-uri" "content-digest");created=1764273600;nonce="k3W3o1qQ5n0Y3t8dXh2u9A";keyid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";alg="ed25519"',
    );
    assert.equal(headers['signature'], 'aim=:YKvY2FX+4i0nhI1wOmjozcuVPm3ZhAcUa3vmeivhLBrHLrsVLz32cJYPSJTC+RjfNeNW9t6Uk7PDnm/mIGMQBg==:');
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real server, over HTTP.
// ---------------------------------------------------------------------------------------------

forEachTarget('independent decision client', (target) => {
  let t: TestApp;
  /** How this client reaches AIM, which is also the base URL it signs (no PUBLIC_URL: http://localhost:<port>, §4b). */
  let base: string;
  let org: SeededOrganization;
  let otherOrg: SeededOrganization;
  let admin: Person;
  let manager: Person;
  let viewer: Person;
  let otherAdmin: Person;

  // Shared by the scenarios, which run in order (one story).
  let agent: AgentClient;
  let peer: AgentClient;
  const low = 'db:read';
  const high = 'payments:refund';
  const unlisted = 'email:send';
  let lowGrantId = '';
  let highGrantId = '';
  let approvalPolicyId = '';
  let allowedDecisionId = '';
  let deniedDecisionId = '';
  let pendingDecisionId = '';
  const received: Received[] = [];

  const remember = (what: string, answer: Answer, body: Json) => {
    received.push({ what, decisionId: body.decisionId, decision: body.decision, requestId: answer.requestId! });
  };

  before(async () => {
    t = await createTestApp(target);
    base = await listenPublic(t);
    org = await seedOrganization(t, 'Decisions');
    otherOrg = await seedOrganization(t, 'Elsewhere');
    admin = new Person(base, org.as.admin.apiKey);
    manager = new Person(base, org.as.manager.apiKey);
    viewer = new Person(base, org.as.viewer.apiKey);
    otherAdmin = new Person(base, otherOrg.as.admin.apiKey);
  });
  after(() => t?.close());

  const challenge = async (): Promise<string> => {
    const body = expectStatus(await http(`${base}/api/v1/agent-challenges`, 'POST'), 201);
    assert.match(body.challenge, /^[A-Za-z0-9_-]+$/);
    return body.challenge as string;
  };

  it('1. an agent enrolls itself with a token and a proof of possession; a manager creates a low- and a high-risk capability and grants the low one', async () => {
    // An admin creates the enrollment token (agent-identity.md §3b; shown once).
    const created = expectStatus(await admin.call('POST', '/api/v1/enrollment-tokens', { name: 'decision-bot', expiresInSeconds: 600 }), 201);
    assert.match(created.token, /^aim_enr_/);

    // The agent process: its own key, a challenge, the proof, no other credentials.
    agent = new AgentClient(base, newKey());
    const c = await challenge();
    const enrolled = expectStatus(
      await http(
        `${base}/api/v1/agents/enroll`,
        'POST',
        { 'content-type': 'application/json' },
        encode({ enrollmentToken: created.token, publicKey: agent.key.x, challenge: c, proof: proof(agent.key, 'register', base, c), purpose: 'Independent decisions test' }),
      ),
      201,
    );
    assert.match(enrolled.agent.id, /^agt_[0-9a-z]{26}$/);
    assert.equal(enrolled.agent.name, 'decision-bot');
    assert.equal(enrolled.agent.status, 'active');
    assert.equal(enrolled.agent.organizationId, org.organizationId);
    assert.equal(enrolled.agent.keys[0].id, agent.key.keyid, 'the key id is the RFC 7638 thumbprint');
    agent.id = enrolled.agent.id;

    // The signature works (agent-identity.md §8).
    const identity = expectStatus(await agent.signed('GET', '/api/v1/agents/me/identity'), 200);
    assert.equal(identity.agentId, agent.id);
    assert.equal(identity.keyId, agent.key.keyid);
    assert.equal(identity.authenticatedBy, 'signature');

    // A second agent of the organization, registered by a manager through the API (§3a), for scenario 7.
    peer = new AgentClient(base, newKey());
    const pc = await challenge();
    const registered = expectStatus(
      await manager.call('POST', '/api/v1/agents', {
        name: 'peer-bot',
        publicKey: { kty: 'OKP', crv: 'Ed25519', x: peer.key.x },
        challenge: pc,
        proof: proof(peer.key, 'register', base, pc),
      }),
      201,
    );
    peer.id = registered.agent.id;

    // The catalog (authorization.md §1).
    const lowCap = expectStatus(await manager.call('POST', '/api/v1/capabilities', { name: low, description: 'Read customer records', riskLevel: 'low' }), 201);
    assert.equal(lowCap.capability.name, low);
    assert.equal(lowCap.capability.riskLevel, 'low');
    const highCap = expectStatus(await manager.call('POST', '/api/v1/capabilities', { name: high, description: 'Refund a payment', riskLevel: 'high' }), 201);
    assert.equal(highCap.capability.riskLevel, 'high');
    // A viewer cannot keep the catalog (permissions.md: capability.manage is managers and admins).
    expectError(await viewer.call('POST', '/api/v1/capabilities', { name: 'files:write', riskLevel: 'medium' }), 403, 'forbidden');
    const catalog = expectStatus(await viewer.call('GET', '/api/v1/capabilities'), 200);
    assert.deepEqual((catalog.capabilities as Json[]).map((c) => c.name).sort(), [low, high].sort());

    // The grant (only managers and admins grant).
    expectError(await viewer.call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: low }), 403, 'forbidden');
    const granted = expectStatus(await manager.call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: low }), 201);
    assert.match(granted.grant.id, /^grt_[0-9a-z]{26}$/);
    assert.equal(granted.grant.agentId, agent.id);
    assert.equal(granted.grant.capability, low);
    assert.equal(granted.grant.status, 'active');
    assert.equal(granted.grant.resourcePattern, null);
    lowGrantId = granted.grant.id;
    const grants = expectStatus(await viewer.call('GET', `/api/v1/agents/${agent.id}/grants`), 200);
    assert.deepEqual((grants.grants as Json[]).map((g) => g.id), [lowGrantId]);
  });

  it('2. allow names the grant; a capability it lacks is denied (capability_required); one outside the catalog is unknown_capability; a high-risk one under require_approval is pending', async () => {
    // Held: allow, with the capability_required reason naming the grant.
    const allowAnswer = await agent.verify(agent.id, { action: low, resource: 'customers/42', context: { rows: 1 } });
    const allow = decisionAnswer(allowAnswer, 'allow');
    const basis = reasonOf(allow, 'capability_required');
    assert.ok(basis, JSON.stringify(allow.reasons));
    assert.equal(basis.effect, 'allow');
    assert.equal(basis.grantId, lowGrantId);
    assert.equal(basis.policyId, null, 'built-in rules have policyId null');
    assert.equal(allow.risk, 'low');
    assert.equal(allow.expiresAt, null);
    assert.ok(!(allow.reasons as Reason[]).some((r) => r.effect === 'deny' || r.effect === 'approval'));
    allowedDecisionId = allow.decisionId;
    remember('allow', allowAnswer, allow);

    // The same, with an agent token instead of a signature (authorization.md §5, agent-identity.md §5).
    const token = expectStatus(await agent.signed('POST', '/api/v1/oauth/token', { grant_type: 'client_credentials' }), 200);
    assert.equal(token.token_type, 'Bearer');
    const byTokenAnswer = await agent.withToken(token.access_token, 'POST', `/api/v1/agents/${agent.id}/verify-action`, { action: low });
    const byToken = decisionAnswer(byTokenAnswer, 'allow');
    assert.equal(reasonOf(byToken, 'capability_required')?.grantId, lowGrantId, 'no resource: a grant without a pattern covers it');
    assert.notEqual(byToken.decisionId, allow.decisionId);
    remember('allow (agent token)', byTokenAnswer, byToken);

    // In the catalog but not granted: deny, the base rule names itself.
    const lackingAnswer = await agent.verify(agent.id, { action: high, resource: 'orders/8812' });
    const lacking = decisionAnswer(lackingAnswer, 'deny');
    const missing = reasonOf(lacking, 'capability_required');
    assert.ok(missing, JSON.stringify(lacking.reasons));
    assert.equal(missing.effect, 'deny');
    assert.equal(missing.policyId, null);
    assert.ok(!missing.grantId, 'no grant satisfied it');
    assert.equal(lacking.risk, 'high');
    deniedDecisionId = lacking.decisionId;
    remember('deny capability_required', lackingAnswer, lacking);

    // Outside the catalog: deny unknown_capability, nothing else evaluated (§4 step 1).
    const unknownAnswer = await agent.verify(agent.id, { action: unlisted });
    const unknown = decisionAnswer(unknownAnswer, 'deny');
    assert.deepEqual(
      (unknown.reasons as Reason[]).map((r) => [r.rule, r.effect]),
      [['unknown_capability', 'deny']],
      'nothing else is evaluated',
    );
    assert.equal(unknown.reasons[0].policyId, null);
    assert.equal(unknown.risk, null, 'openapi: risk is null when the action is not in the catalog');
    remember('deny unknown_capability', unknownAnswer, unknown);

    // A require_approval policy (minRisk high), and the high-risk capability granted.
    const policy = expectStatus(
      await manager.call('POST', '/api/v1/policies', { name: 'High risk needs a person', type: 'require_approval', mode: 'enforce', config: { minRisk: 'high' } }),
      201,
    );
    assert.match(policy.policy.id, /^pol_[0-9a-z]{26}$/);
    assert.equal(policy.policy.version, 1);
    assert.equal(policy.policy.enabled, true);
    approvalPolicyId = policy.policy.id;
    // A configuration that does not fit the type is refused, naming the field.
    expectError(
      await manager.call('POST', '/api/v1/policies', { name: 'Broken', type: 'require_approval', config: { minRisk: 'enormous' } }),
      400,
      'invalid_policy',
    );
    const highGrant = expectStatus(await manager.call('POST', `/api/v1/agents/${agent.id}/grants`, { capability: high, resourcePattern: 'orders/*' }), 201);
    highGrantId = highGrant.grant.id;

    const pendingAnswer = await agent.verify(agent.id, { action: high, resource: 'orders/8812', context: { amount: 120 } });
    const pending = decisionAnswer(pendingAnswer, 'pending');
    assert.equal(pending.risk, 'high');
    const covered = reasonOf(pending, 'capability_required');
    assert.equal(covered?.effect, 'allow');
    assert.equal(covered?.grantId, highGrantId);
    const approval = reasonOf(pending, 'require_approval');
    assert.ok(approval, JSON.stringify(pending.reasons));
    assert.equal(approval.effect, 'approval');
    assert.equal(approval.policyId, approvalPolicyId);
    assert.equal(approval.policyVersion, 1);
    assert.equal(approval.mode, 'enforce');
    // expiresAt: the organization's approvalTimeoutSeconds, default 900.
    assert.equal(typeof pending.expiresAt, 'string');
    const timeout = (Date.parse(pending.expiresAt) - Date.parse(pending.evaluatedAt)) / 1000;
    assert.ok(Math.abs(timeout - 900) <= 2, `expiresAt is ~900 s after evaluatedAt, got ${timeout}`);
    pendingDecisionId = pending.decisionId;
    remember('pending', pendingAnswer, pending);

    // The resource pattern is respected: outside orders/* the high grant does not cover (deny, not pending).
    const outsideAnswer = await agent.verify(agent.id, { action: high, resource: 'orders/8812/notes' });
    const outside = decisionAnswer(outsideAnswer, 'deny');
    assert.equal(reasonOf(outside, 'capability_required')?.effect, 'deny');
    remember('deny outside the grant pattern', outsideAnswer, outside);

    // The agent may raise the risk, never lower it: low declared as high is now pending too.
    const raisedAnswer = await agent.verify(agent.id, { action: low, resource: 'customers/7', risk: 'high' });
    const raised = decisionAnswer(raisedAnswer, 'pending');
    assert.equal(raised.risk, 'high');
    remember('pending (declared risk)', raisedAnswer, raised);
    const loweredAnswer = await agent.verify(agent.id, { action: high, resource: 'orders/1', risk: 'low' });
    const lowered = decisionAnswer(loweredAnswer, 'pending');
    assert.equal(lowered.risk, 'high', 'the agent cannot lower the catalog risk');
    remember('pending (declared lower risk)', loweredAnswer, lowered);
  });

  it('3. a long-poll started before the approval answers allow/approved; a viewer cannot approve; a manager finds it among the pending and approves', async () => {
    assert.match(pendingDecisionId, DECISION_ID, 'scenario 2 made a pending decision');
    // The agent polls once: still pending.
    const polled = expectStatus(await agent.signed('GET', `/api/v1/decisions/${pendingDecisionId}`), 200);
    assert.equal(polled.decision.decision, 'pending');
    assert.equal(polled.decision.status, 'pending');

    // The long-poll, signed with its query (§4b: query included in @target-uri), started before anyone answers.
    const started = Date.now();
    let settledAt = 0;
    const longPoll = agent.signed('GET', `/api/v1/decisions/${pendingDecisionId}?wait=30`).then((answer) => {
      settledAt = Date.now();
      return answer;
    });
    await sleep(700);
    assert.equal(settledAt, 0, 'the long-poll waits while the decision is pending');

    // A viewer sees it but cannot answer (permissions.md: decision.approve is managers and admins).
    expectError(await viewer.call('POST', `/api/v1/decisions/${pendingDecisionId}/approve`, { note: 'not mine to approve' }), 403, 'forbidden');
    await sleep(200);
    assert.equal(settledAt, 0, "the viewer's refused attempt did not answer the decision");

    // The manager finds the open approval.
    const open = expectStatus(await manager.call('GET', '/api/v1/decisions?status=pending'), 200);
    const listed = (open.decisions as Json[]).find((d) => d.id === pendingDecisionId);
    assert.ok(listed, `the pending decision is listed: ${JSON.stringify(open.decisions.map((d: Json) => d.id))}`);
    assert.equal(listed.agentId, agent.id);
    assert.equal(listed.action, high);
    assert.equal(listed.resource, 'orders/8812');
    assert.ok((open.decisions as Json[]).every((d) => d.status === 'pending' && d.decision === 'pending'));

    const approvedAt = Date.now();
    const approved = expectStatus(await manager.call('POST', `/api/v1/decisions/${pendingDecisionId}/approve`, { note: 'refund checked' }), 200);
    assert.equal(approved.decision.id, pendingDecisionId);
    assert.equal(approved.decision.decision, 'allow');
    assert.equal(approved.decision.status, 'approved');
    assert.equal(approved.decision.note, 'refund checked');
    assert.ok(approved.decision.resolvedAt);

    const answered = await longPoll;
    const after = expectStatus(answered, 200);
    assert.equal(after.decision.id, pendingDecisionId);
    assert.equal(after.decision.decision, 'allow');
    assert.equal(after.decision.status, 'approved');
    assert.ok(settledAt >= approvedAt, 'the long-poll answered after the approval');
    assert.ok(settledAt - started < 20_000, `the long-poll answered on the approval, not at the end of its wait (${settledAt - started} ms)`);

    // Answering it again: 409 decision_not_pending; and it is gone from the open approvals.
    expectError(await manager.call('POST', `/api/v1/decisions/${pendingDecisionId}/approve`, {}), 409, 'decision_not_pending');
    expectError(await admin.call('POST', `/api/v1/decisions/${pendingDecisionId}/reject`, { note: 'too late' }), 409, 'decision_not_pending');
    const stillOpen = expectStatus(await manager.call('GET', '/api/v1/decisions?status=pending'), 200);
    assert.ok(!(stillOpen.decisions as Json[]).some((d) => d.id === pendingDecisionId));
  });

  it('4. a monitor-mode resource_deny flags without blocking; after a PATCH to enforce the same request is denied naming version 2', async () => {
    const created = expectStatus(
      await manager.call('POST', '/api/v1/policies', {
        name: 'No secrets',
        type: 'resource_deny',
        mode: 'monitor',
        scope: { agentIds: [agent.id], actions: ['db:*'] },
        config: { resources: ['secrets/**'] },
      }),
      201,
    );
    const policyId: string = created.policy.id;
    assert.equal(created.policy.mode, 'monitor');
    assert.equal(created.policy.version, 1);
    const request = { action: low, resource: 'secrets/prod/db-password' };

    const monitoredAnswer = await agent.verify(agent.id, request);
    const monitored = decisionAnswer(monitoredAnswer, 'allow');
    const flag = reasonOf(monitored, 'resource_deny');
    assert.ok(flag, JSON.stringify(monitored.reasons));
    assert.equal(flag.effect, 'flag');
    assert.equal(flag.policyId, policyId);
    assert.equal(flag.policyVersion, 1);
    assert.equal(flag.mode, 'monitor');
    assert.equal(reasonOf(monitored, 'capability_required')?.grantId, lowGrantId);
    remember('allow flagged (monitor)', monitoredAnswer, monitored);

    // A resource the policy does not name is not flagged.
    const elsewhereAnswer = await agent.verify(agent.id, { action: low, resource: 'customers/1' });
    const elsewhere = decisionAnswer(elsewhereAnswer, 'allow');
    assert.ok(!(elsewhere.reasons as Reason[]).some((r) => r.effect === 'flag'), JSON.stringify(elsewhere.reasons));
    remember('allow, not flagged', elsewhereAnswer, elsewhere);

    // The history can filter the flagged ones.
    const flagged = expectStatus(await viewer.call('GET', `/api/v1/decisions?agentId=${agent.id}&flagged=true`), 200);
    assert.deepEqual((flagged.decisions as Json[]).map((d) => d.id), [monitored.decisionId]);
    assert.equal(flagged.decisions[0].flagged, true);

    // Every change makes a new version.
    const patched = expectStatus(await manager.call('PATCH', `/api/v1/policies/${policyId}`, { mode: 'enforce' }), 200);
    assert.equal(patched.policy.mode, 'enforce');
    assert.equal(patched.policy.version, 2);
    const versions = expectStatus(await viewer.call('GET', `/api/v1/policies/${policyId}/versions`), 200);
    assert.equal(JSON.stringify(versions).includes('"version":2'), true, JSON.stringify(versions));

    const enforcedAnswer = await agent.verify(agent.id, request);
    const enforced = decisionAnswer(enforcedAnswer, 'deny');
    const denial = reasonOf(enforced, 'resource_deny');
    assert.ok(denial, JSON.stringify(enforced.reasons));
    assert.equal(denial.effect, 'deny');
    assert.equal(denial.policyId, policyId);
    assert.equal(denial.policyVersion, 2);
    assert.equal(denial.mode, 'enforce');
    assert.equal(reasonOf(enforced, 'capability_required')?.effect, 'allow', 'the grant still satisfies the base rule; the policy denies');
    remember('deny (enforced resource_deny)', enforcedAnswer, enforced);

    // An enforced deny records a violation (§4): policy and version, severity = the action's risk.
    const violations = expectStatus(await viewer.call('GET', `/api/v1/violations?agentId=${agent.id}`), 200);
    const violation = (violations.violations as Json[]).find((v) => v.decisionId === enforced.decisionId);
    assert.ok(violation, JSON.stringify(violations));
    assert.equal(violation.rule, 'resource_deny');
    assert.equal(violation.policyId, policyId);
    assert.equal(violation.policyVersion, 2);
    assert.equal(violation.action, low);
    assert.equal(violation.resource, request.resource);
    assert.equal(violation.severity, 'low');
    assert.ok(!(violations.violations as Json[]).some((v) => v.decisionId === monitored.decisionId), 'a monitor flag is not a violation');
  });

  it('5. the agent reports an outcome once for an allowed decision; a second report, or one for a deny, is 409 result_not_expected', async () => {
    assert.match(allowedDecisionId, DECISION_ID);
    const reported = expectStatus(
      await agent.signed('POST', `/api/v1/decisions/${allowedDecisionId}/result`, { status: 'success', durationMs: 182, detail: 'read 1 row' }),
      200,
    );
    assert.equal(reported.decision.id, allowedDecisionId);
    assert.equal(reported.decision.result.status, 'success');
    assert.equal(reported.decision.result.durationMs, 182);
    assert.equal(reported.decision.result.detail, 'read 1 row');
    assert.ok(!Number.isNaN(Date.parse(reported.decision.result.reportedAt)));

    expectError(await agent.signed('POST', `/api/v1/decisions/${allowedDecisionId}/result`, { status: 'failure' }), 409, 'result_not_expected');
    expectError(await agent.signed('POST', `/api/v1/decisions/${deniedDecisionId}/result`, { status: 'success' }), 409, 'result_not_expected');

    // An approved decision allows: its outcome can be reported.
    const afterApproval = expectStatus(await agent.signed('POST', `/api/v1/decisions/${pendingDecisionId}/result`, { status: 'error', detail: 'gateway timeout' }), 200);
    assert.equal(afterApproval.decision.result.status, 'error');
    assert.equal(afterApproval.decision.result.durationMs, null);

    // The report is kept: the agent reads it back.
    const read = expectStatus(await agent.signed('GET', `/api/v1/decisions/${allowedDecisionId}`), 200);
    assert.equal(read.decision.result.status, 'success');
  });

  it('6. every answer the agent received is in the decision history (paged) with the same decision, and in the audit log', async () => {
    assert.ok(received.length >= 10, `the scenarios above received ${received.length} answers`);
    // History, as a viewer (decision.read is every role), three at a time to exercise nextCursor.
    const history: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `agentId=${agent.id}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = expectStatus(await viewer.call('GET', `/api/v1/decisions?${query}`), 200);
      assert.ok(page.decisions.length <= 3);
      history.push(...page.decisions);
      cursor = page.nextCursor;
      pages += 1;
      assert.ok(pages <= 50, 'paging ends');
    } while (cursor);
    assert.ok(pages >= 4, `paged through ${pages} pages`);
    assert.equal(new Set(history.map((d) => d.id)).size, history.length, 'no decision twice across pages');
    assert.ok(history.every((d) => d.agentId === agent.id), 'filtered by agentId');
    for (let i = 1; i < history.length; i += 1) {
      assert.ok(Date.parse(history[i - 1].createdAt) >= Date.parse(history[i].createdAt), 'newest first');
    }
    assert.equal(history.length, received.length, `exactly the answers received: ${received.map((r) => r.what).join(', ')}`);

    const statusOf = { allow: 'allowed', deny: 'denied' } as const;
    for (const r of received) {
      const stored = history.find((d) => d.id === r.decisionId);
      assert.ok(stored, `${r.what}: ${r.decisionId} is in the history`);
      if (r.decisionId === pendingDecisionId) {
        // §5: the history gives the answer now; the pending one was approved.
        assert.equal(stored.decision, 'allow', r.what);
        assert.equal(stored.status, 'approved', r.what);
      } else if (r.decision === 'pending') {
        assert.equal(stored.decision, 'pending', r.what);
        assert.equal(stored.status, 'pending', r.what);
      } else {
        assert.equal(stored.decision, r.decision, r.what);
        assert.equal(stored.status, statusOf[r.decision], r.what);
      }
      // The agent may read its own decisions by id, with the same answer.
      const own = expectStatus(await agent.signed('GET', `/api/v1/decisions/${r.decisionId}`), 200);
      assert.equal(own.decision.decision, stored.decision, r.what);
      assert.equal(own.decision.status, stored.status, r.what);
    }

    // The audit log in the database: one decision.<answer> per answer, by the agent, with the request's id.
    const db = await t.owner();
    const ids = received.map((r) => r.decisionId);
    const { rows } = await db.query<{ action: string; target_id: string; actor_type: string; request_id: string | null }>(
      'select action, target_id, actor_type, request_id from audit_events where target_id = any($1::text[])',
      [ids],
    );
    for (const r of received) {
      const events = rows.filter((row) => row.target_id === r.decisionId);
      const made = events.filter((row) => row.action === `decision.${r.decision}`);
      assert.equal(made.length, 1, `${r.what}: one decision.${r.decision} audit event, got ${JSON.stringify(events)}`);
      assert.equal(made[0]!.actor_type, 'agent', r.what);
      assert.equal(made[0]!.request_id, r.requestId, `${r.what}: the audit event carries the answer's x-request-id`);
      // Beyond the answer, the approval and the outcome report are audited too (decision.approve, decision.result:
      // observed, not listed in authorization.md, which names only decision.allow|deny|pending).
      const expected = [`decision.${r.decision}`];
      if (r.decisionId === pendingDecisionId) expected.push('decision.approve', 'decision.result');
      if (r.decisionId === allowedDecisionId) expected.push('decision.result');
      assert.deepEqual(
        events.map((row) => row.action).filter((a) => a.startsWith('decision.')).sort(),
        expected.sort(),
        `${r.what}: ${JSON.stringify(events)}`,
      );
      if (r.decisionId === pendingDecisionId) {
        const approval = events.find((row) => row.action === 'decision.approve')!;
        assert.equal(approval.actor_type, 'api_key', 'approved with the manager API key');
      }
    }

    // The same through the API (audit.read: managers and admins), filtered by target.
    const audit = expectStatus(await manager.call('GET', `/api/v1/audit-logs?targetId=${pendingDecisionId}`), 200);
    const actions = (audit.events as Json[]).map((e) => e.action).sort();
    assert.deepEqual(
      actions.filter((a) => a.startsWith('decision.')),
      ['decision.approve', 'decision.pending', 'decision.result'],
      JSON.stringify(audit.events),
    );
    const pendingEvent = (audit.events as Json[]).find((e) => e.action === 'decision.pending');
    assert.equal(pendingEvent.actor.type, 'agent');
    assert.equal(pendingEvent.actor.id, agent.id);
    assert.equal(pendingEvent.target.id, pendingDecisionId);
    assert.equal(pendingEvent.requestId, received.find((r) => r.decisionId === pendingDecisionId)!.requestId);
    const allowAudit = expectStatus(await manager.call('GET', `/api/v1/audit-logs?targetId=${allowedDecisionId}&action=decision.allow`), 200);
    assert.equal(allowAudit.events.length, 1, JSON.stringify(allowAudit.events));
    // A viewer cannot read the audit log (permissions.md: audit.read is admins and managers).
    expectError(await viewer.call('GET', `/api/v1/audit-logs?targetId=${pendingDecisionId}`), 403, 'forbidden');
  });

  it('7. bad input: another agent is 403 agent_mismatch, an unknown agent 404, a malformed action 400 validation_failed, another organization 404', async () => {
    assert.ok(agent.id && peer.id);
    const before = received.length;

    // An agent may ask only about itself.
    expectError(await agent.verify(peer.id, { action: low }), 403, 'agent_mismatch');
    expectError(await peer.verify(agent.id, { action: low }), 403, 'agent_mismatch');
    // An agent AIM does not know.
    expectError(await agent.verify(`agt_${'0'.repeat(26)}`, { action: low }), 404, 'not_found');
    // Malformed requests.
    expectError(await agent.verify(agent.id, { action: 'Payments Refund' }), 400, 'validation_failed');
    expectError(await agent.verify(agent.id, { action: 'db-read' }), 400, 'validation_failed');
    expectError(await agent.verify(agent.id, { resource: 'customers/1' }), 400, 'validation_failed');
    expectError(await agent.verify(agent.id, { action: low, risk: 'extreme' }), 400, 'validation_failed');
    expectError(await agent.verify(agent.id, { action: low, resource: 'customers/\u0007' }), 400, 'validation_failed');

    // Another agent's decision is 404 to an agent.
    expectError(await peer.signed('GET', `/api/v1/decisions/${allowedDecisionId}`), 404, 'not_found');
    // A decision of another organization, read by that organization's admin: 404 like one that does not exist.
    expectError(await otherAdmin.call('GET', `/api/v1/decisions/${allowedDecisionId}`), 404, 'not_found');
    expectError(await otherAdmin.call('POST', `/api/v1/decisions/${pendingDecisionId}/approve`, { note: 'not ours' }), 404, 'not_found');
    const foreignHistory = expectStatus(await otherAdmin.call('GET', `/api/v1/decisions?agentId=${agent.id}`), 200);
    assert.deepEqual(foreignHistory.decisions, []);
    // A refused request stores no decision.
    const mine = expectStatus(await viewer.call('GET', `/api/v1/decisions?agentId=${agent.id}&limit=200`), 200);
    assert.equal(mine.decisions.length, before, 'no decision stored for a refused request');
    const peers = expectStatus(await viewer.call('GET', `/api/v1/decisions?agentId=${peer.id}`), 200);
    assert.deepEqual(peers.decisions, []);
  });
  it('8. an approval evaluates the decision again: with the grant revoked while it waited, the approval is refused (409 decision_no_longer_allowed) and the decision is deny/invalidated', async () => {
    assert.ok(highGrantId, 'scenario 2 granted the high capability');
    const waiting = decisionAnswer(await agent.verify(agent.id, { action: high, resource: 'orders/77' }), 'pending');
    // §1: a revocation applies to the next decision — and §5: an approval is evaluated again.
    expectStatus(await manager.call('DELETE', `/api/v1/agents/${agent.id}/grants/${highGrantId}`), 200);
    const refused = await manager.call('POST', `/api/v1/decisions/${waiting.decisionId}/approve`, { note: 'looked fine' });
    expectError(refused, 409, 'decision_no_longer_allowed');
    assert.equal(refused.body.error.details.decisionId, waiting.decisionId);
    assert.ok(refused.body.error.details.rules.split(',').includes('capability_required'), refused.body.error.details.rules);
    // The agent reads the final answer: deny / invalidated, the re-evaluation's reasons in approvalReasons.
    const read = expectStatus(await agent.signed('GET', `/api/v1/decisions/${waiting.decisionId}`), 200).decision;
    assert.equal(read.decision, 'deny');
    assert.equal(read.status, 'invalidated');
    assert.equal(read.note, 'looked fine');
    assert.equal(read.resolvedBy.type, 'api_key');
    assert.equal(reasonOf({ reasons: read.approvalReasons }, 'capability_required')?.effect, 'deny');
    assert.equal(reasonOf({ reasons: read.reasons }, 'capability_required')?.effect, 'allow', 'the first evaluation is kept as it was');
    // No longer pending: it cannot be approved again.
    expectError(await manager.call('POST', `/api/v1/decisions/${waiting.decisionId}/approve`, {}), 409, 'decision_not_pending');
  });
});
