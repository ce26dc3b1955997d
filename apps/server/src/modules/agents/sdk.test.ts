import { after, afterEach, before, beforeEach, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, request as forward, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { AimError, secure, type AgentRecord, type AimRequestBody, type Credentials } from '@aim/sdk';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';

/**
 * The SDK (`@aim/sdk`) against the real AIM server, listening on a real port: enrollment, resuming,
 * signed requests, tokens, client assertions, key rotation, error envelopes and what happens when
 * answers are lost. Lost answers are made at the process edge, by a small HTTP proxy in front of AIM.
 */

interface SeenRequest {
  method: string;
  /** Path and query as sent on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Fault =
  /** Forward the request, let AIM answer, then cut the connection: the answer is lost. */
  | { kind: 'lose-answer' }
  /** Cut the connection without forwarding: the request never reached AIM. */
  | { kind: 'lose-request' }
  /** Answer in AIM's place, as a misbehaving gateway would. */
  | { kind: 'answer'; status: number; body: string }
  /** Forward with altered headers. */
  | { kind: 'alter'; headers: (headers: IncomingHttpHeaders) => IncomingHttpHeaders };

interface EdgeProxy {
  baseUrl: string;
  /** Every request that came through, in order. */
  seen: SeenRequest[];
  /** The next request that matches meets the fault; every other request is forwarded unchanged. */
  failNext(match: (request: SeenRequest) => boolean, fault: Fault): void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of AIM, which AIM knows as its public address (PUBLIC_URL), as behind any
 * proxy: agents sign the proxy's address. It keeps the Host header. AIM's own port is known only once
 * AIM listens, after AIM is configured with the proxy's address: `upstreamPort` is read per request.
 */
async function startEdgeProxy(upstreamPort: () => number): Promise<EdgeProxy> {
  let pending: { match: (request: SeenRequest) => boolean; fault: Fault } | undefined;
  const seen: SeenRequest[] = [];

  async function serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request: SeenRequest = { method: incoming.method ?? '', url: incoming.url ?? '', headers: incoming.headers, body: Buffer.concat(chunks) };
    seen.push(request);
    let fault: Fault | undefined;
    if (pending?.match(request)) {
      fault = pending.fault;
      pending = undefined;
    }
    if (fault?.kind === 'lose-request') {
      incoming.socket.destroy();
      return;
    }
    if (fault?.kind === 'answer') {
      response.writeHead(fault.status, { 'content-type': 'text/plain' }).end(fault.body);
      return;
    }
    const headers = fault?.kind === 'alter' ? fault.headers({ ...request.headers }) : request.headers;
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const upstream = forward(
        { host: '127.0.0.1', port: upstreamPort(), method: request.method, path: request.url, headers, agent: false },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(parts) }));
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(request.body);
    });
    if (fault?.kind === 'lose-answer') {
      incoming.socket.destroy();
      return;
    }
    const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _te, 'content-length': _cl, ...rest } = answer.headers;
    response.writeHead(answer.status, { ...rest, 'content-length': String(answer.body.length) }).end(answer.body);
  }

  const server = createServer((incoming, response) => {
    serve(incoming, response).catch(() => incoming.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://localhost:${(server.address() as AddressInfo).port}`,
    seen,
    failNext(match, fault) {
      pending = { match, fault };
    },
    reset() {
      pending = undefined;
      seen.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const isCode = (code: string) => (error: unknown) => error instanceof AimError && error.code === code;
const pathOf = (url: string) => url.split('?')[0];
const to = (method: string, path: string) => (request: SeenRequest) => request.method === method && pathOf(request.url) === path;
const keyIdOf = (request: SeenRequest) => /keyid="([^"]+)"/.exec(String(request.headers['signature-input'] ?? ''))?.[1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uniqueName = (prefix = 'sdk-bot') => `${prefix}-${randomBytes(5).toString('hex')}`;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function saved(path: string): Promise<Credentials> {
  return JSON.parse(await readFile(path, 'utf8')) as Credentials;
}

async function rejection(promise: Promise<unknown>): Promise<AimError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AimError, `expected an AimError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

forEachTarget('@aim/sdk against the real server', (target) => {
  let t: TestApp;
  let org: SeededOrganization;
  /** AIM's public address, as the SDK reaches and signs it: the edge proxy's (PUBLIC_URL). */
  let baseUrl: string;
  /** Where AIM itself listens (not its public address). */
  let direct: string;
  let proxy: EdgeProxy;
  /** The token issuer and endpoint, from AIM's RFC 8414 metadata. */
  let issuer: string;
  let tokenEndpoint: string;
  let dir: string;
  /** Every AimError the tests saw, checked for key material at the end. */
  const errors: AimError[] = [];

  before(async () => {
    let aimPort = 0;
    proxy = await startEdgeProxy(() => aimPort);
    t = await createTestApp(target, { env: { PUBLIC_URL: proxy.baseUrl } });
    org = await seedOrganization(t);
    // The downstream audiences these tests ask tokens for (docs/agent-identity.md §5a).
    const allowed = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/organization',
      headers: { ...org.as.admin.apiKey, 'content-type': 'application/json' },
      payload: { agentTokenAudiences: ['https://bïlling.example.com/ü', 'a b', 'https://billing.example.com'] },
    });
    assert.equal(allowed.statusCode, 200, allowed.body);
    direct = await t.app.listen({ host: '127.0.0.1', port: 0 });
    aimPort = Number(new URL(direct).port);
    baseUrl = proxy.baseUrl;
    const metadata = (await (await fetch(`${baseUrl}/.well-known/oauth-authorization-server`)).json()) as { issuer: string; token_endpoint: string };
    issuer = metadata.issuer;
    tokenEndpoint = metadata.token_endpoint;
  });
  after(async () => {
    await proxy?.close();
    await t?.close();
  });
  beforeEach(async () => {
    proxy.reset();
    dir = await mkdtemp(join(tmpdir(), 'aim-sdk-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The management API, as a person's API key uses it.
  const manage = async (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => {
    const res = await t.app.inject({
      method,
      url,
      headers: { ...org.as.admin.apiKey, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload } : {}),
    });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const newEnrollmentToken = async (): Promise<{ id: string; token: string }> => {
    const created = await manage('POST', '/api/v1/enrollment-tokens', { expiresInSeconds: 3600 });
    return { id: created.enrollmentToken.id, token: created.token };
  };
  const enrollmentTokenState = async (id: string) =>
    ((await manage('GET', '/api/v1/enrollment-tokens')).enrollmentTokens as { id: string; usedAt: string | null; agentId: string | null }[]).find((e) => e.id === id)!;
  const agentInAim = async (id: string): Promise<AgentRecord & { tags: string[]; purpose: string | null; enrolledWith: string | null }> =>
    (await manage('GET', `/api/v1/agents/${id}`)).agent;
  const agentsNamed = async (name: string): Promise<{ id: string; name: string; enrolledWith: string | null }[]> =>
    ((await manage('GET', `/api/v1/agents?q=${encodeURIComponent(name)}&limit=200`)).agents as { id: string; name: string; enrolledWith: string | null }[]).filter(
      (a) => a.name === name,
    );
  const agentCount = async () => ((await manage('GET', '/api/v1/agents?limit=200')).agents as unknown[]).length;
  const transition = (id: string, step: 'suspend' | 'reactivate') => manage('POST', `/api/v1/agents/${id}/${step}`, { reason: `sdk test ${step}` });
  const keyStates = (record: AgentRecord) => record.keys.map((k) => [k.id, k.status]).sort();

  /** A freshly enrolled agent, with its credentials file in this test's directory. */
  const enrolled = async (options: { via?: string } = {}) => {
    const name = uniqueName();
    const path = join(dir, `${name}.json`);
    const { token } = await newEnrollmentToken();
    const agent = await secure(name, { baseUrl: options.via ?? baseUrl, enrollmentToken: token, credentialsPath: path });
    proxy.reset();
    return { agent, path, name };
  };
  /** Another start of the agent's process: secure() from an existing credentials file, with no token. */
  const resume = (path: string, via = baseUrl) => secure('resumed', { baseUrl: via, credentialsPath: path });
  const caught = async (promise: Promise<unknown>) => {
    const error = await rejection(promise);
    errors.push(error);
    return error;
  };

  it('secure() enrolls with a token: challenge, register proof, enroll; writes a 0600 credentials file', async () => {
    const name = uniqueName('invoice-bot');
    const path = join(dir, 'agents', `${name}.json`);
    const enrollment = await newEnrollmentToken();
    const agent = await secure(name, {
      baseUrl: `${proxy.baseUrl}/`,
      enrollmentToken: enrollment.token,
      credentialsPath: path,
      purpose: 'Reconciles supplier invoices',
      tags: ['finance'],
    });
    assert.deepEqual(
      proxy.seen.map((r) => `${r.method} ${r.url}`),
      ['POST /api/v1/agent-challenges', 'POST /api/v1/agents/enroll'],
    );
    assert.match(agent.id, /^agt_/);
    assert.equal(agent.organizationId, org.organizationId);
    assert.equal(agent.name, name);
    assert.equal(agent.baseUrl, proxy.baseUrl, 'the trailing slash is dropped');

    const file = await saved(path);
    assert.deepEqual(
      { ...file, privateKeyJwk: undefined },
      {
        version: 1,
        baseUrl: proxy.baseUrl,
        agentId: agent.id,
        organizationId: org.organizationId,
        name,
        keyId: agent.keyId,
        publicKey: file.privateKeyJwk.x,
        privateKeyJwk: undefined,
      },
    );
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'agents'))).mode & 0o777, 0o700);

    const inAim = await agentInAim(agent.id);
    assert.equal(inAim.name, name);
    assert.equal(inAim.status, 'active');
    assert.equal(inAim.purpose, 'Reconciles supplier invoices');
    assert.deepEqual(inAim.tags, ['finance']);
    assert.equal(inAim.enrolledWith, enrollment.id);
    assert.deepEqual(
      inAim.keys.map((k) => [k.id, k.publicKey.x, k.status]),
      [[agent.keyId, file.publicKey, 'active']],
    );
    const used = await enrollmentTokenState(enrollment.id);
    assert.equal(used.agentId, agent.id);
    assert.ok(used.usedAt);
    assert.equal((await agent.me()).id, agent.id);
    const identity = await agent.identity();
    assert.deepEqual(
      [identity.agentId, identity.organizationId, identity.keyId, identity.status, identity.authenticatedBy],
      [agent.id, agent.organizationId, agent.keyId, 'active', 'signature'],
    );
  });

  it('a second secure() resumes from the file: no request, no new registration', async () => {
    const { agent, path, name } = await enrolled({ via: proxy.baseUrl });
    const count = await agentCount();
    const again = await secure(name, { baseUrl: proxy.baseUrl, credentialsPath: path });
    assert.deepEqual(proxy.seen, [], 'no request at all');
    assert.deepEqual(again.toJSON(), agent.toJSON());
    const me = await again.me();
    assert.equal(me.id, agent.id);
    assert.equal(await agentCount(), count);
    assert.equal((await agentsNamed(name)).length, 1);
  });

  it('refuses an unknown or a used enrollment token (invalid_enrollment_token) and leaves no file', async () => {
    const count = await agentCount();
    const unknownPath = join(dir, 'unknown.json');
    const unknown = await caught(secure(uniqueName(), { baseUrl, enrollmentToken: `aim_enr_${randomBytes(24).toString('base64url')}`, credentialsPath: unknownPath }));
    assert.equal(unknown.code, 'invalid_enrollment_token');
    assert.equal(unknown.status, 400);
    assert.ok(unknown.requestId);
    assert.equal(await exists(unknownPath), false);

    const { token } = await newEnrollmentToken();
    const first = await secure(uniqueName(), { baseUrl, enrollmentToken: token, credentialsPath: join(dir, 'first.json') });
    const usedPath = join(dir, 'used.json');
    const used = await caught(secure(uniqueName(), { baseUrl, enrollmentToken: token, credentialsPath: usedPath }));
    assert.equal(used.code, 'invalid_enrollment_token');
    assert.equal(used.status, 400);
    assert.equal(await exists(usedPath), false);
    assert.equal(await agentCount(), count + 1, 'only the first enrollment created an agent');
    assert.equal((await first.me()).id, first.id);
  });

  it('leaves no file when the challenge request never reached AIM', async () => {
    const path = join(dir, 'no-challenge.json');
    const { token, id } = await newEnrollmentToken();
    proxy.failNext(to('POST', '/api/v1/agent-challenges'), { kind: 'lose-request' });
    const error = await caught(secure(uniqueName(), { baseUrl: proxy.baseUrl, enrollmentToken: token, credentialsPath: path }));
    assert.equal(error.code, 'network_error');
    assert.equal(await exists(path), false);
    assert.equal((await enrollmentTokenState(id)).usedAt, null);
  });

  it('a lost enrollment answer: the key is kept, and the next secure() completes the file with the agent AIM created', async () => {
    const name = uniqueName();
    const path = join(dir, `${name}.json`);
    const enrollment = await newEnrollmentToken();
    proxy.failNext(to('POST', '/api/v1/agents/enroll'), { kind: 'lose-answer' });
    const lost = await caught(secure(name, { baseUrl: proxy.baseUrl, enrollmentToken: enrollment.token, credentialsPath: path }));
    assert.equal(lost.code, 'network_error');
    const pending = await saved(path);
    assert.equal(pending.agentId, null);
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    // AIM did create the agent, with the saved key.
    const [created] = await agentsNamed(name);
    assert.ok(created, 'AIM registered the agent');
    assert.deepEqual((await agentInAim(created.id)).keys.map((k) => k.id), [pending.keyId]);
    assert.equal((await enrollmentTokenState(enrollment.id)).agentId, created.id);

    proxy.reset();
    const agent = await secure(name, { baseUrl: proxy.baseUrl, credentialsPath: path });
    assert.deepEqual(
      proxy.seen.map((r) => `${r.method} ${pathOf(r.url)}`),
      ['GET /api/v1/agents/me'],
      'asks AIM about the key, enrolls nothing',
    );
    assert.equal(agent.id, created.id);
    assert.equal(agent.keyId, pending.keyId);
    const complete = await saved(path);
    assert.equal(complete.agentId, created.id);
    assert.equal(complete.organizationId, org.organizationId);
    assert.equal((await agentsNamed(name)).length, 1, 'no second agent');
    assert.equal((await agent.me()).id, created.id);
  });

  it('an enrollment that never reached AIM: enrollment_required without a token, then the saved key is enrolled', async () => {
    const name = uniqueName();
    const path = join(dir, `${name}.json`);
    const { token } = await newEnrollmentToken();
    proxy.failNext(to('POST', '/api/v1/agents/enroll'), { kind: 'lose-request' });
    assert.equal((await caught(secure(name, { baseUrl: proxy.baseUrl, enrollmentToken: token, credentialsPath: path }))).code, 'network_error');
    const pending = await saved(path);
    assert.equal(pending.agentId, null);
    assert.deepEqual(await agentsNamed(name), [], 'AIM created nothing');

    const required = await caught(secure(name, { baseUrl: proxy.baseUrl, credentialsPath: path }));
    assert.equal(required.code, 'enrollment_required');
    const agent = await secure(name, { baseUrl: proxy.baseUrl, enrollmentToken: token, credentialsPath: path });
    assert.equal(agent.keyId, pending.keyId, 'the key saved before the first attempt');
    assert.deepEqual((await agentInAim(agent.id)).keys.map((k) => k.id), [pending.keyId]);
    assert.equal((await saved(path)).agentId, agent.id);
  });

  it('two concurrent secure() on one file enroll one agent', async () => {
    const name = uniqueName();
    const path = join(dir, `${name}.json`);
    const [a, b] = await Promise.all([newEnrollmentToken(), newEnrollmentToken()]);
    const count = await agentCount();
    const results = await Promise.allSettled([
      secure(name, { baseUrl, enrollmentToken: a.token, credentialsPath: path }),
      secure(name, { baseUrl, enrollmentToken: b.token, credentialsPath: path }),
    ]);
    const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : [])));
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as AimError] : []));
    errors.push(...refusals);
    assert.equal(ids.size, 1, 'one agent, whoever won');
    assert.ok(
      refusals.every((e) => e.code === 'credentials_exist' || e.code === 'key_already_registered'),
      refusals.map((e) => e.code).join(),
    );
    assert.equal((await saved(path)).agentId, [...ids][0]);
    assert.equal(await agentCount(), count + 1);
    const used = (await Promise.all([enrollmentTokenState(a.id), enrollmentTokenState(b.id)])).filter((e) => e.usedAt !== null);
    assert.equal(used.length, 1, 'one enrollment token spent');
  });

  it('agent.fetch signs GET and POST as sent: method, query with spaces and unicode, the exact body bytes', async () => {
    const { agent } = await enrolled({ via: proxy.baseUrl });
    const me = await agent.fetch('/api/v1/agents/me?x=1&q=a b&ü=é');
    assert.equal(me.status, 200, await me.clone().text());
    assert.equal(((await me.json()) as { agent: { id: string } }).agent.id, agent.id);
    assert.equal(proxy.seen.at(-1)!.url, '/api/v1/agents/me?x=1&q=a%20b&%C3%BC=%C3%A9');
    assert.equal(keyIdOf(proxy.seen.at(-1)!), agent.keyId);

    const audience = 'https://bïlling.example.com/ü';
    const json = '{"grant_type": "client_credentials"}';
    const bytes = new TextEncoder().encode(json);
    const asJson = { 'content-type': 'application/json' };
    const bodies: { body: AimRequestBody; sent: string; contentType: string; headers?: Record<string, string> }[] = [
      { body: { grant_type: 'client_credentials', audience }, sent: JSON.stringify({ grant_type: 'client_credentials', audience }), contentType: 'application/json' },
      { body: json, sent: json, contentType: 'application/json', headers: asJson },
      { body: bytes, sent: json, contentType: 'application/json', headers: asJson },
      { body: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), sent: json, contentType: 'application/json', headers: asJson },
      {
        body: new URLSearchParams({ grant_type: 'client_credentials', audience: 'a b' }),
        sent: 'grant_type=client_credentials&audience=a+b',
        contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      },
    ];
    for (const { body, sent, contentType, headers } of bodies) {
      const response = await agent.fetch('/api/v1/oauth/token?q=a b&ü=1', { method: 'post', body, ...(headers ? { headers } : {}) });
      const text = await response.text();
      assert.equal(response.status, 200, `${sent}: ${text}`);
      const wire = proxy.seen.at(-1)!;
      assert.equal(wire.method, 'POST');
      assert.equal(wire.url, '/api/v1/oauth/token?q=a%20b&%C3%BC=1');
      assert.equal(wire.body.toString('utf8'), sent);
      assert.equal(wire.headers['content-type'], contentType);
      assert.match(String(wire.headers['content-digest']), /^sha-256=:/);
      const claims = decodeJwt((JSON.parse(text) as { access_token: string }).access_token);
      assert.equal(claims.sub, agent.id);
    }
    assert.equal(decodeJwt(((await (await agent.fetch('/api/v1/oauth/token', { method: 'POST', body: { grant_type: 'client_credentials', audience } })).json()) as { access_token: string }).access_token).aud, audience);

    const absolute = await agent.fetch(new URL('/api/v1/agents/me', proxy.baseUrl));
    assert.equal(absolute.status, 200);
    const parsed = await agent.request<{ agent: { id: string } }>('get', '/api/v1/agents/me');
    assert.equal(parsed.agent.id, agent.id);
  });

  it('AIM refuses a signed request whose body was altered, and the same request replayed', async () => {
    const { agent } = await enrolled({ via: proxy.baseUrl });
    const signed = await agent.fetch('/api/v1/oauth/token', { method: 'POST', body: { grant_type: 'client_credentials' } });
    assert.equal(signed.status, 200);
    const sent = proxy.seen.at(-1)!;
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'content-digest', 'signature-input', 'signature']) headers[name] = String(sent.headers[name]);
    const replayTo = `${proxy.baseUrl}${sent.url}`;
    const tampered = await fetch(replayTo, { method: 'POST', headers, body: '{"grant_type":"client_credentials","audience":"x"}' });
    assert.equal(tampered.status, 401);
    assert.equal(((await tampered.json()) as { error: { code: string } }).error.code, 'digest_mismatch');
    const replayed = await fetch(replayTo, { method: 'POST', headers, body: sent.body });
    assert.equal(replayed.status, 401);
    assert.equal(((await replayed.json()) as { error: { code: string } }).error.code, 'replayed_request');
  });

  it("surfaces AIM's error envelope as AimError with AIM's code, status, request id and details", async () => {
    const { agent } = await enrolled({ via: proxy.baseUrl });
    await transition(agent.id, 'suspend');
    const suspended = await caught(agent.me());
    assert.equal(suspended.code, 'agent_suspended');
    assert.equal(suspended.status, 403);
    assert.ok(suspended.requestId && suspended.message);
    assert.equal((await caught(agent.token())).code, 'agent_suspended', 'no token while suspended');
    await transition(agent.id, 'reactivate');
    assert.equal((await agent.me()).status, 'active');

    // The agent's clock is 400 s behind AIM's while it signs.
    const now = Date.now();
    const skewed = mock.method(Date, 'now', () => now - 400_000);
    let pendingMe: Promise<AgentRecord>;
    try {
      pendingMe = agent.me(); // signs synchronously, before the first await
    } finally {
      skewed.mock.restore();
    }
    const stale = await caught(pendingMe);
    assert.equal(stale.code, 'stale_signature');
    assert.equal(stale.status, 401);
    const details = stale.details as { created: number; serverTime: number; skewSeconds: number };
    assert.equal(details.created, Math.floor((now - 400_000) / 1000));
    assert.ok(details.skewSeconds >= 400, JSON.stringify(details));

    const missing = await caught(agent.request('GET', '/api/v1/nothing-here'));
    assert.deepEqual([missing.code, missing.status], ['not_found', 404]);

    proxy.failNext(to('GET', '/api/v1/agents/me'), { kind: 'answer', status: 502, body: 'bad gateway' });
    const gateway = await caught(agent.me());
    assert.deepEqual([gateway.code, gateway.status], ['http_error', 502]);
    proxy.failNext(to('GET', '/api/v1/agents/me'), { kind: 'lose-request' });
    assert.equal((await caught(agent.me())).code, 'network_error');
    assert.equal((await agent.me()).id, agent.id);
  });

  it('agent.token(): one signed request for concurrent callers, reused, and verifiable against the real JWKS', async () => {
    const { agent } = await enrolled({ via: proxy.baseUrl });
    const tokenRequests = () => proxy.seen.filter(to('POST', '/api/v1/oauth/token'));
    const tokens = await Promise.all([agent.token(), agent.token(), agent.token()]);
    assert.equal(new Set(tokens).size, 1, 'the callers share one token');
    assert.equal(tokenRequests().length, 1, 'AIM issued one token');
    const [sent] = tokenRequests();
    assert.deepEqual(JSON.parse(sent!.body.toString('utf8')), { grant_type: 'client_credentials' });
    assert.equal(keyIdOf(sent!), agent.keyId);
    assert.equal(await agent.token(), tokens[0], 'reused from the cache');
    assert.equal(tokenRequests().length, 1);

    const jwks = createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tokens[0]!, jwks, { issuer, audience: issuer, algorithms: ['EdDSA'] });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.sub, agent.id);
    assert.equal(payload.org, org.organizationId);
    assert.equal(payload.status, 'active');
    assert.deepEqual(payload.cnf, { jkt: agent.keyId });

    const billing = await agent.token({ audience: 'https://billing.example.com' });
    assert.notEqual(billing, tokens[0]);
    assert.equal(tokenRequests().length, 2);
    assert.deepEqual(JSON.parse(tokenRequests()[1]!.body.toString('utf8')), { grant_type: 'client_credentials', audience: 'https://billing.example.com' });
    const verified = await jwtVerify(billing, jwks, { issuer, audience: 'https://billing.example.com', algorithms: ['EdDSA'] });
    assert.equal(verified.payload.sub, agent.id);
  });

  it('fetchWithToken sends the token as a bearer to AIM only, and renews it once when AIM refuses it', async () => {
    const { agent } = await enrolled({ via: proxy.baseUrl });
    const response = await agent.fetchWithToken('/api/v1/agents/me');
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { agent: { id: string } }).agent.id, agent.id);
    const sent = proxy.seen.at(-1)!;
    const first = String(sent.headers.authorization);
    assert.equal(first, `Bearer ${await agent.token()}`);
    assert.equal(sent.headers['signature-input'], undefined);
    assert.equal(sent.headers.signature, undefined);

    // The token is garbled on the way: AIM answers 401, the SDK gets a new token and sends again.
    proxy.reset();
    proxy.failNext((r) => r.headers.authorization === first, {
      kind: 'alter',
      headers: (headers) => {
        const [h, p, s] = first.slice('Bearer '.length).split('.');
        return { ...headers, authorization: `Bearer ${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}` };
      },
    });
    const retried = await agent.fetchWithToken('/api/v1/agents/me');
    assert.equal(retried.status, 200);
    assert.deepEqual(
      proxy.seen.map((r) => `${r.method} ${pathOf(r.url)}`),
      ['GET /api/v1/agents/me', 'POST /api/v1/oauth/token', 'GET /api/v1/agents/me'],
    );
    const renewed = String(proxy.seen.at(-1)!.headers.authorization);
    assert.notEqual(renewed, first);
    assert.equal(renewed, `Bearer ${await agent.token()}`);

    const elsewhere = await caught(agent.fetchWithToken('https://elsewhere.example.com/api/v1/agents/me'));
    assert.equal(elsewhere.code, 'invalid_argument');
  });

  it('clientAssertion() is exchanged for a token at the token endpoint (form body), once', async () => {
    const { agent } = await enrolled();
    const assertion = agent.clientAssertion({ audience: tokenEndpoint });
    const header = decodeProtectedHeader(assertion);
    assert.deepEqual([header.alg, header.kid], ['EdDSA', agent.keyId]);
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    const send = () => fetch(`${baseUrl}/api/v1/oauth/token`, { method: 'POST', body: form });
    const res = await send();
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.token_type, 'Bearer');
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`)), { issuer, audience: issuer });
    assert.equal(payload.sub, agent.id);
    assert.deepEqual(payload.cnf, { jkt: agent.keyId });
    const replay = await send();
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'invalid_client_assertion');

    // The default audience is `<baseUrl>/api/v1/oauth/token`: AIM's token endpoint, baseUrl being its public URL.
    const byDefault = await fetch(`${baseUrl}/api/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: agent.clientAssertion(),
      }),
    });
    assert.equal(decodeJwt(agent.clientAssertion()).aud, `${baseUrl}/api/v1/oauth/token`);
    assert.equal(tokenEndpoint, `${baseUrl}/api/v1/oauth/token`);
    assert.equal(byDefault.status, 200, await byDefault.clone().text());

    // An assertion for the address AIM listens on, which is not its public one, is refused.
    const elsewhere = await fetch(`${direct}/api/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: agent.clientAssertion({ audience: `${direct}/api/v1/oauth/token` }),
      }),
    });
    assert.equal(elsewhere.status, 401);
    assert.equal(((await elsewhere.json()) as { error: { code: string } }).error.code, 'invalid_client_assertion');
  });

  it('rotateKey(): the new key works, the file is updated, the old key is refused after the overlap', async () => {
    const { agent, path } = await enrolled({ via: proxy.baseUrl });
    const oldKeyId = agent.keyId;
    // Another process with the same credentials file, which keeps the old key until it restarts.
    const copy = join(dir, 'other-process.json');
    await copyFile(path, copy);
    const oldToken = await agent.token();
    proxy.reset();

    const record = await agent.rotateKey({ overlapSeconds: 1 });
    const newKeyId = agent.keyId;
    assert.notEqual(newKeyId, oldKeyId);
    assert.deepEqual(keyStates(record), [[oldKeyId, 'rotating_out'], [newKeyId, 'active']].sort());
    const sent = proxy.seen.find(to('POST', '/api/v1/agents/me/keys'))!;
    assert.equal(keyIdOf(sent), oldKeyId, 'signed with the current key');
    const body = JSON.parse(sent.body.toString('utf8')) as { publicKey: string; overlapSeconds: number; challenge: string; proof: string };
    assert.equal(body.overlapSeconds, 1);

    const file = await saved(path);
    assert.equal(file.keyId, newKeyId);
    assert.equal(file.publicKey, body.publicKey);
    assert.equal(file.pendingKey, undefined);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await agentInAim(agent.id)).keys.find((k) => k.status === 'active')?.id, newKeyId);

    assert.equal((await agent.me()).id, agent.id);
    assert.equal(keyIdOf(proxy.seen.at(-1)!), newKeyId);
    const newToken = await agent.token();
    assert.notEqual(newToken, oldToken, 'tokens of the old key are not reused');
    assert.deepEqual(decodeJwt(newToken).cnf, { jkt: newKeyId });
    const resumed = await resume(path, proxy.baseUrl);
    assert.equal(resumed.keyId, newKeyId);

    // After the overlap, the old key and its token are refused.
    const oldKey = record.keys.find((k) => k.id === oldKeyId)!;
    assert.ok(oldKey.expiresAt);
    await sleep(Math.max(0, Date.parse(oldKey.expiresAt) - Date.now()) + 250);
    const stale = await resume(copy, proxy.baseUrl);
    assert.equal(stale.keyId, oldKeyId);
    const expired = await caught(stale.me());
    assert.deepEqual([expired.code, expired.status], ['key_expired', 401]);
    const oldBearer = await fetch(`${baseUrl}/api/v1/agents/me`, { headers: { authorization: `Bearer ${oldToken}` } });
    assert.equal(oldBearer.status, 401);
    assert.equal(((await oldBearer.json()) as { error: { code: string } }).error.code, 'key_expired');
    assert.equal((await agent.me()).id, agent.id);
    assert.equal((await agent.fetchWithToken('/api/v1/agents/me')).status, 200);
  });

  it('the old key keeps working during the overlap', async () => {
    const { agent, path } = await enrolled();
    const copy = join(dir, 'other-process.json');
    await copyFile(path, copy);
    const record = await agent.rotateKey({ overlapSeconds: 600 });
    const other = await resume(copy);
    assert.notEqual(other.keyId, agent.keyId);
    assert.equal((await other.me()).id, agent.id);
    const { payload } = await jwtVerify(await other.token(), createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`)), { issuer });
    const oldKey = record.keys.find((k) => k.id === other.keyId)!;
    assert.ok(payload.exp! <= Math.ceil(Date.parse(oldKey.expiresAt!) / 1000), 'a token of the old key ends with the overlap');
  });

  it('keeps the current key when AIM refuses the rotation', async () => {
    const { agent, path } = await enrolled();
    const before = await readFile(path, 'utf8');
    const keyId = agent.keyId;
    await transition(agent.id, 'suspend');
    const refused = await caught(agent.rotateKey());
    assert.equal(refused.code, 'agent_suspended');
    assert.equal(agent.keyId, keyId);
    assert.equal(await readFile(path, 'utf8'), before, 'the pending key was dropped again');
    await transition(agent.id, 'reactivate');
    assert.deepEqual((await agentInAim(agent.id)).keys.map((k) => [k.id, k.status]), [[keyId, 'active']]);
    assert.equal((await agent.me()).id, agent.id);
  });

  it('a lost rotation answer: the next secure() keeps the key AIM registered', async () => {
    const { agent, path } = await enrolled({ via: proxy.baseUrl });
    const oldKeyId = agent.keyId;
    proxy.failNext(to('POST', '/api/v1/agents/me/keys'), { kind: 'lose-answer' });
    assert.equal((await caught(agent.rotateKey())).code, 'network_error');
    assert.equal(agent.keyId, oldKeyId);
    const file = await saved(path);
    assert.equal(file.keyId, oldKeyId);
    assert.ok(file.pendingKey, 'both keys are kept');
    const pendingKeyId = file.pendingKey.keyId;
    assert.deepEqual(keyStates(await agentInAim(agent.id)), [[oldKeyId, 'rotating_out'], [pendingKeyId, 'active']].sort(), 'AIM did rotate');

    const resumed = await resume(path, proxy.baseUrl);
    assert.equal(resumed.id, agent.id);
    assert.equal(resumed.keyId, pendingKeyId);
    const settled = await saved(path);
    assert.equal(settled.keyId, pendingKeyId);
    assert.equal(settled.pendingKey, undefined);
    assert.equal((await resumed.me()).id, agent.id);
    assert.equal(keyIdOf(proxy.seen.at(-1)!), pendingKeyId);
  });

  it('a rotation that never reached AIM: the next secure() drops the pending key', async () => {
    const { agent, path } = await enrolled({ via: proxy.baseUrl });
    proxy.failNext(to('POST', '/api/v1/agents/me/keys'), { kind: 'lose-request' });
    assert.equal((await caught(agent.rotateKey())).code, 'network_error');
    assert.ok((await saved(path)).pendingKey);
    const resumed = await resume(path, proxy.baseUrl);
    assert.equal(resumed.keyId, agent.keyId);
    assert.equal((await saved(path)).pendingKey, undefined);
    assert.deepEqual((await agentInAim(agent.id)).keys.map((k) => [k.id, k.status]), [[agent.keyId, 'active']]);
    assert.equal((await resumed.me()).id, agent.id);
  });

  it('runs one rotation at a time', async () => {
    const { agent } = await enrolled();
    const results = await Promise.allSettled([agent.rotateKey(), agent.rotateKey()]);
    assert.equal(results[0].status, 'fulfilled');
    assert.ok(results[1].status === 'rejected' && isCode('rotation_in_progress')(results[1].reason));
    errors.push(results[1].reason as AimError);
    assert.equal((await agentInAim(agent.id)).keys.filter((k) => k.status === 'active').length, 1);
  });

  it('keeps the private key out of JSON.stringify, util.inspect, errors, requests and logs', async () => {
    const name = uniqueName();
    const path = join(dir, `${name}.json`);
    const agent = await secure(name, { baseUrl: proxy.baseUrl, enrollmentToken: (await newEnrollmentToken()).token, credentialsPath: path });
    const secrets = [(await saved(path)).privateKeyJwk.d];
    await agent.rotateKey({ overlapSeconds: 0 });
    secrets.push((await saved(path)).privateKeyJwk.d);
    await agent.token();
    await transition(agent.id, 'suspend');
    await caught(agent.me());
    await caught(agent.rotateKey());
    await transition(agent.id, 'reactivate');
    proxy.failNext(to('GET', '/api/v1/agents/me'), { kind: 'lose-answer' });
    await caught(agent.me());

    const shown = [JSON.stringify(agent), inspect(agent, { showHidden: true, depth: Infinity }), String(agent), JSON.stringify(Object.entries(agent))];
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(agent)) as object).sort(), ['baseUrl', 'id', 'keyId', 'name', 'organizationId']);
    for (const error of errors) {
      shown.push(error.message, String(error.stack), JSON.stringify(error), inspect(error, { showHidden: true, depth: Infinity }));
    }
    for (const request of proxy.seen) shown.push(request.url, JSON.stringify(request.headers), request.body.toString('utf8'));
    shown.push(...t.logs.raw);
    for (const text of shown) for (const d of secrets) assert.ok(!text.includes(d), `key material in: ${text.slice(0, 200)}`);
  });
});
