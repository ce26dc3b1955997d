import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { AimAgent } from './agent.js';
import { readCredentials, storedKey, writeCredentials, type Credentials } from './credentials.js';
import { AimError } from './errors.js';
import { generateKeyPair } from './keys.js';
import { secure } from './secure.js';
import { isCode, noFetch, unreachableAddress } from './test-support/offline.js';
import { encodeBody } from './transport.js';

/**
 * AimAgent without an AIM server: what happens before a request is sent or when nothing answers.
 * The flows against AIM (signing, tokens, rotation, lost answers) are tested against the real server
 * in apps/server/src/modules/agents/sdk.test.ts.
 */

let root: string;
/** An address where nothing listens. */
let unreachable: string;
let counter = 0;

/** An agent loaded from a complete credentials file (no request is made). */
async function loadedAgent(baseUrl = unreachable, fetchImpl?: typeof fetch): Promise<{ agent: AimAgent; path: string; credentials: Credentials }> {
  const path = join(root, `agent-${(counter += 1)}.json`);
  const credentials: Credentials = {
    version: 1,
    baseUrl,
    agentId: 'agt_00000000000000000000000001',
    organizationId: 'org_00000000000000000000000001',
    name: `bot-${counter}`,
    ...storedKey(generateKeyPair()),
  };
  await writeCredentials(path, credentials);
  const agent = await secure('ignored', { baseUrl, credentialsPath: path, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  return { agent, path, credentials };
}

describe('AimAgent (no server)', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'aim-sdk-agent-'));
    unreachable = await unreachableAddress();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is loaded from a complete credentials file without any request', async () => {
    const { agent, credentials, path } = await loadedAgent(unreachable, noFetch);
    assert.deepEqual(agent.toJSON(), {
      id: credentials.agentId,
      organizationId: credentials.organizationId,
      name: credentials.name,
      keyId: credentials.keyId,
      baseUrl: unreachable,
    });
    assert.equal(agent.credentialsPath, path);
  });

  it('reports network_error when AIM cannot be reached', async () => {
    const { agent } = await loadedAgent();
    await assert.rejects(agent.me(), (error: unknown) => {
      assert.ok(isCode('network_error')(error));
      assert.equal((error as AimError).status, undefined);
      assert.ok((error as AimError).cause);
      return true;
    });
    await assert.rejects(agent.token(), isCode('network_error'));
  });

  it('refuses bodies whose bytes are not known up front, and paths that are not absolute', async () => {
    const { agent } = await loadedAgent(unreachable, noFetch);
    for (const body of [new Blob(['x']), new FormData(), new ReadableStream(), new Date(0)]) {
      await assert.rejects(agent.fetch('/api/v1/agents/me', { method: 'POST', body: body as never }), isCode('unsupported_body'), inspect(body));
    }
    await assert.rejects(agent.fetch('api/v1/agents/me'), isCode('invalid_argument'));
    await assert.rejects(agent.fetch('//elsewhere.example.com/x'), isCode('invalid_argument'));
    await assert.rejects(agent.fetch('ftp://aim.example.com/x'), isCode('invalid_argument'));
  });

  it("sends AIM's tokens to AIM only: other origins and paths outside the base URL are refused before any request", async () => {
    const calls: string[] = [];
    const recording: typeof fetch = (input) => {
      calls.push(String(input));
      throw new Error('no request was expected');
    };
    const { agent } = await loadedAgent('https://aim.example.com/aim', recording);
    for (const url of ['https://elsewhere.example.com/aim/api/v1/agents/me', 'http://aim.example.com/aim/x', 'https://aim.example.com/aimx/api', 'https://aim.example.com/other']) {
      await assert.rejects(agent.fetchWithToken(url), isCode('invalid_argument'), url);
    }
    assert.deepEqual(calls, []);
  });

  it('encodes a body to the exact bytes sent, with a default Content-Type', () => {
    const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);
    const cases: [unknown, string | undefined, string | undefined][] = [
      [undefined, undefined, undefined],
      [null, undefined, undefined],
      [{ a: 1, b: ['é'] }, '{"a":1,"b":["é"]}', 'application/json'],
      [Object.assign(Object.create(null) as object, { n: 1 }), '{"n":1}', 'application/json'],
      [[1, 2], '[1,2]', 'application/json'],
      ['plain text', 'plain text', 'text/plain;charset=UTF-8'],
      [new TextEncoder().encode('bytes'), 'bytes', undefined],
      [new TextEncoder().encode('buffer').buffer, 'buffer', undefined],
      [new URLSearchParams({ q: 'a b', ü: 'é' }), 'q=a+b&%C3%BC=%C3%A9', 'application/x-www-form-urlencoded;charset=UTF-8'],
    ];
    for (const [body, sent, contentType] of cases) {
      const encoded = encodeBody(body as never);
      assert.deepEqual([text(encoded.bytes), encoded.contentType], [sent, contentType], inspect(body));
    }
    assert.throws(() => encodeBody(new Map() as never), isCode('unsupported_body'));
  });

  it('runs one rotation at a time', async () => {
    const { agent, path } = await loadedAgent();
    const before = await readFile(path, 'utf8');
    const results = await Promise.allSettled([agent.rotateKey(), agent.rotateKey()]);
    assert.ok(results[0].status === 'rejected' && isCode('network_error')(results[0].reason));
    assert.ok(results[1].status === 'rejected' && isCode('rotation_in_progress')(results[1].reason));
    assert.equal(await readFile(path, 'utf8'), before, 'no challenge, so no pending key');
  });

  it('keeps the private key out of JSON.stringify, util.inspect and errors', async () => {
    const { agent, path } = await loadedAgent();
    const d = (await readCredentials(path))!.privateKeyJwk.d;
    const shown = [JSON.stringify(agent), inspect(agent, { showHidden: true, depth: Infinity }), String(agent), JSON.stringify(Object.entries(agent))];
    for (const text of shown) assert.ok(!text.includes(d), text);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(agent)) as object).sort(), ['baseUrl', 'id', 'keyId', 'name', 'organizationId']);
    const error = (await agent.me().then(() => assert.fail('me() should fail offline'), (e: unknown) => e)) as AimError;
    assert.ok(!`${error.message}${error.stack}${JSON.stringify(error)}${inspect(error, { depth: Infinity, showHidden: true })}`.includes(d));
  });

  it('makes an RFC 7523 client assertion for the token endpoint under its base URL', async () => {
    const { agent } = await loadedAgent('https://aim.example.com/', noFetch);
    const decode = (jwt: string, part: number) => JSON.parse(Buffer.from(jwt.split('.')[part]!, 'base64url').toString()) as Record<string, unknown>;
    const assertion = agent.clientAssertion();
    assert.deepEqual(decode(assertion, 0), { alg: 'EdDSA', kid: agent.keyId });
    const claims = decode(assertion, 1);
    assert.deepEqual([claims.iss, claims.sub, claims.aud], [agent.id, agent.id, 'https://aim.example.com/api/v1/oauth/token']);
    assert.equal(claims.exp, (claims.iat as number) + 60);
    assert.equal(decode(agent.clientAssertion({ audience: 'https://public.example.com/api/v1/oauth/token' }), 1).aud, 'https://public.example.com/api/v1/oauth/token');
  });
});
