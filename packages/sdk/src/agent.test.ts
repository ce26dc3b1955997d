import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { AimAgent } from './agent.js';
import { readCredentials } from './credentials.js';
import { AimError } from './errors.js';
import { secure } from './secure.js';
import { startFakeAim, type FakeAim } from './test-support/fake-aim.js';

let aim: FakeAim;
let root: string;
let counter = 0;
const isCode = (code: string) => (error: unknown) => error instanceof AimError && error.code === code;

async function enrolledAgent(): Promise<{ agent: AimAgent; path: string }> {
  const path = join(root, `agent-${(counter += 1)}.json`);
  aim.enrollmentTokens.add('aim_enr_test');
  const agent = await secure(`bot-${counter}`, { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path });
  aim.requests.length = 0;
  return { agent, path };
}

describe('AimAgent', () => {
  before(async () => {
    aim = await startFakeAim();
    root = await mkdtemp(join(tmpdir(), 'aim-sdk-agent-'));
  });
  after(async () => {
    await aim.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    aim.intercept = undefined;
  });

  describe('signed requests', () => {
    it('signs what goes on the wire: method, target URI with its query, and the exact body bytes', async () => {
      const { agent } = await enrolledAgent();
      const bodies: [unknown, string, string | null][] = [
        [undefined, '', null],
        [{ a: 1, b: ['é'] }, '{"a":1,"b":["é"]}', 'application/json'],
        [[1, 2], '[1,2]', 'application/json'],
        ['plain text', 'plain text', 'text/plain;charset=UTF-8'],
        [new TextEncoder().encode('bytes'), 'bytes', null],
        [new URLSearchParams({ q: 'a b' }), 'q=a+b', 'application/x-www-form-urlencoded;charset=UTF-8'],
      ];
      for (const [body, sent, contentType] of bodies) {
        const method = body === undefined ? 'get' : 'patch';
        const echo = await agent.request<{ method: string; body: string; contentType: string | null }>(method, '/api/v1/echo?x=1&q=a b&ü=1', body as never);
        assert.deepEqual(echo, { method: method.toUpperCase(), url: '/api/v1/echo?x=1&q=a%20b&%C3%BC=1', body: sent, contentType }, String(sent));
      }
      const response = await agent.fetch(new URL('/api/v1/echo', aim.baseUrl), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 200);
    });

    it('is refused by AIM when the signature does not match what was sent', async () => {
      const { agent } = await enrolledAgent();
      const signed = await agent.fetch('/api/v1/echo', { method: 'POST', body: { n: 1 } });
      assert.equal(signed.status, 200);
      const replay = aim.requests.at(-1)!;
      const headers = { ...replay.headers } as Record<string, string>;
      delete headers['content-length'];
      delete headers.host;
      const tampered = await fetch(`${aim.baseUrl}/api/v1/echo`, { method: 'POST', headers, body: '{"n":2}' });
      assert.equal(tampered.status, 401);
      const again = await fetch(`${aim.baseUrl}/api/v1/echo`, { method: 'POST', headers, body: '{"n":1}' });
      assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'replayed_request');
    });

    it("throws AIM's error code, status, request id and details", async () => {
      const { agent } = await enrolledAgent();
      const details = { created: 1, serverTime: 400, skewSeconds: 399 };
      aim.intercept = () => ({ status: 401, body: { error: { code: 'stale_signature', message: 'old', requestId: 'req-9', details } } });
      await assert.rejects(agent.me(), (error: unknown) => {
        assert.ok(error instanceof AimError);
        assert.deepEqual([error.code, error.status, error.requestId, error.details, error.message], ['stale_signature', 401, 'req-9', details, 'old']);
        return true;
      });
      aim.intercept = () => ({ status: 502, body: 'bad gateway' });
      await assert.rejects(agent.me(), (error: unknown) => isCode('http_error')(error) && (error as AimError).status === 502);
      aim.intercept = undefined;
      await assert.rejects(agent.request('GET', '/api/v1/nothing-here'), isCode('not_found'));
    });

    it('reports network_error when AIM cannot be reached, and unsupported_body for a stream', async () => {
      const { path } = await enrolledAgent();
      const closed = await startFakeAim();
      await closed.close();
      const offline = await secure('x', { baseUrl: aim.baseUrl, credentialsPath: path, fetch: (_input, init) => fetch(`${closed.baseUrl}/api/v1/agents/me`, init) });
      await assert.rejects(offline.me(), isCode('network_error'));
      await assert.rejects(offline.fetch('/api/v1/echo', { method: 'POST', body: new Blob(['x']) as never }), isCode('unsupported_body'));
      await assert.rejects(offline.fetch('api/v1/echo'), isCode('invalid_argument'));
    });
  });

  describe('tokens', () => {
    it('gets one token for concurrent callers, with a signed client_credentials request, and reuses it', async () => {
      const { agent } = await enrolledAgent();
      const issued = aim.tokensIssued;
      const tokens = await Promise.all([agent.token(), agent.token(), agent.token()]);
      assert.equal(new Set(tokens).size, 1);
      assert.equal(aim.tokensIssued, issued + 1);
      assert.equal(await agent.token(), tokens[0]);
      assert.deepEqual(JSON.parse(aim.requests[0]!.body.toString()), { grant_type: 'client_credentials' });
      assert.ok(aim.requests[0]!.headers['signature-input']);
      await agent.token({ audience: 'https://billing.example.com' });
      assert.deepEqual(JSON.parse(aim.requests.at(-1)!.body.toString()), { grant_type: 'client_credentials', audience: 'https://billing.example.com' });
    });

    it('sends the token as a bearer to AIM only, and renews it once when AIM answers 401', async () => {
      const { agent } = await enrolledAgent();
      const response = await agent.fetchWithToken('/api/v1/agents/me');
      assert.equal(response.status, 200);
      const sent = aim.requests.at(-1)!;
      assert.match(String(sent.headers.authorization), /^Bearer token-\d+$/);
      assert.equal(sent.headers['signature-input'], undefined);
      const first = String(sent.headers.authorization);
      let refused = false;
      aim.intercept = (r) => {
        if (r.headers.authorization !== first || refused) return undefined;
        refused = true;
        return { status: 401, body: { error: { code: 'invalid_token', message: 'expired', requestId: 'r' } } };
      };
      const retried = await agent.fetchWithToken('/api/v1/agents/me');
      assert.equal(retried.status, 200);
      assert.notEqual(aim.requests.at(-1)!.headers.authorization, first);
      await assert.rejects(agent.fetchWithToken('https://elsewhere.example.com/api/v1/agents/me'), isCode('invalid_argument'));
    });
  });

  describe('key rotation', () => {
    it('rotates: rotate proof with the new key, request signed with the old one; saves the new key', async () => {
      const { agent, path } = await enrolledAgent();
      const oldKeyId = agent.keyId;
      const oldToken = await agent.token();
      const record = await agent.rotateKey({ overlapSeconds: 60 });
      assert.notEqual(agent.keyId, oldKeyId);
      const sent = aim.requests.find((r) => r.url === '/api/v1/agents/me/keys')!;
      assert.match(String(sent.headers['signature-input']), new RegExp(`keyid="${oldKeyId}"`));
      assert.equal(JSON.parse(sent.body.toString()).overlapSeconds, 60);
      assert.deepEqual(record.keys.map((k) => [k.id, k.status]), [[oldKeyId, 'rotating_out'], [agent.keyId, 'active']]);
      const saved = await readCredentials(path);
      assert.equal(saved?.keyId, agent.keyId);
      assert.equal(saved?.pendingKey, undefined);
      assert.equal((await agent.me()).id, agent.id);
      assert.match(String(aim.requests.at(-1)!.headers['signature-input']), new RegExp(`keyid="${agent.keyId}"`));
      assert.notEqual(await agent.token(), oldToken, 'tokens of the old key are not reused');
      const resumed = await secure('x', { baseUrl: aim.baseUrl, credentialsPath: path });
      assert.equal(resumed.keyId, agent.keyId);
    });

    it('keeps the current key when AIM refuses the rotation', async () => {
      const { agent, path } = await enrolledAgent();
      const before = await readFile(path, 'utf8');
      aim.intercept = (r) => (r.url === '/api/v1/agents/me/keys' ? { status: 403, body: { error: { code: 'agent_suspended', message: 's', requestId: 'r' } } } : undefined);
      const keyId = agent.keyId;
      await assert.rejects(agent.rotateKey(), isCode('agent_suspended'));
      assert.equal(agent.keyId, keyId);
      assert.equal(await readFile(path, 'utf8'), before);
    });

    it('keeps both keys when the answer is lost, and settles on the new one at the next start', async () => {
      const { agent, path } = await enrolledAgent();
      const keyId = agent.keyId;
      aim.intercept = (r) => (r.url === '/api/v1/agents/me/keys' ? 'handle-then-drop' : undefined);
      await assert.rejects(agent.rotateKey(), isCode('network_error'));
      assert.equal(agent.keyId, keyId);
      const saved = await readCredentials(path);
      assert.equal(saved?.keyId, keyId);
      assert.ok(saved?.pendingKey);
      aim.intercept = undefined;
      const resumed = await secure('x', { baseUrl: aim.baseUrl, credentialsPath: path });
      assert.equal(resumed.keyId, saved.pendingKey.keyId);
      assert.equal((await readCredentials(path))?.pendingKey, undefined);
      assert.equal((await resumed.me()).id, agent.id);
    });

    it('drops the pending key at the next start when the rotation never reached AIM', async () => {
      const { agent, path } = await enrolledAgent();
      aim.intercept = (r) => (r.url === '/api/v1/agents/me/keys' ? 'drop' : undefined);
      await assert.rejects(agent.rotateKey(), isCode('network_error'));
      aim.intercept = undefined;
      const resumed = await secure('x', { baseUrl: aim.baseUrl, credentialsPath: path });
      assert.equal(resumed.keyId, agent.keyId);
      assert.equal((await readCredentials(path))?.pendingKey, undefined);
    });

    it('runs one rotation at a time', async () => {
      const { agent } = await enrolledAgent();
      const results = await Promise.allSettled([agent.rotateKey(), agent.rotateKey()]);
      assert.equal(results[0].status, 'fulfilled');
      assert.ok(results[1].status === 'rejected' && isCode('rotation_in_progress')(results[1].reason));
    });
  });

  describe('the private key stays private', () => {
    it('appears neither in JSON.stringify, util.inspect, nor error messages', async () => {
      const { agent, path } = await enrolledAgent();
      const d = (await readCredentials(path))!.privateKeyJwk.d;
      const shown = [JSON.stringify(agent), inspect(agent, { showHidden: true, depth: Infinity }), String(agent), JSON.stringify(Object.entries(agent))];
      for (const text of shown) assert.ok(!text.includes(d), text);
      assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(agent)) as object).sort(), ['baseUrl', 'id', 'keyId', 'name', 'organizationId']);
      aim.intercept = () => ({ status: 500, body: { error: { code: 'internal_error', message: 'boom', requestId: 'r' } } });
      const error = await agent.me().catch((e: unknown) => e as AimError);
      aim.intercept = undefined;
      assert.ok(!`${error.message}${error.stack}${JSON.stringify(error)}${inspect(error, { depth: Infinity })}`.includes(d));
    });

    it('makes an RFC 7523 client assertion for the token endpoint', async () => {
      const { agent } = await enrolledAgent();
      const claims = JSON.parse(Buffer.from(agent.clientAssertion().split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      assert.deepEqual([claims.iss, claims.sub, claims.aud], [agent.id, agent.id, `${aim.baseUrl}/api/v1/oauth/token`]);
      assert.equal(claims.exp, (claims.iat as number) + 60);
    });
  });
});
