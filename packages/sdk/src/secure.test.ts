import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCredentials } from './credentials.js';
import { AimError } from './errors.js';
import { secure } from './secure.js';
import { startFakeAim, type FakeAim } from './test-support/fake-aim.js';

let aim: FakeAim;
let root: string;
let counter = 0;
const freshPath = () => join(root, `agent-${(counter += 1)}.json`);
const routes = () => aim.requests.map((r) => `${r.method} ${r.url}`);
const isCode = (code: string) => (error: unknown) => error instanceof AimError && error.code === code;

describe('secure(): enrollment and resuming', () => {
  before(async () => {
    aim = await startFakeAim();
    root = await mkdtemp(join(tmpdir(), 'aim-sdk-secure-'));
  });
  after(async () => {
    await aim.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    aim.requests.length = 0;
    aim.intercept = undefined;
    aim.enrollmentTokens.add('aim_enr_test');
  });

  it('enrolls with a token: challenge, register proof, enroll; then saves the credentials with mode 0600', async () => {
    const path = freshPath();
    const agent = await secure('invoice-bot', { baseUrl: `${aim.baseUrl}/`, enrollmentToken: 'aim_enr_test', credentialsPath: path, tags: ['finance'] });
    assert.deepEqual(routes(), ['POST /api/v1/agent-challenges', 'POST /api/v1/agents/enroll']);
    const enrollBody = JSON.parse(aim.requests[1]!.body.toString()) as Record<string, unknown>;
    assert.equal(enrollBody.name, 'invoice-bot');
    assert.deepEqual(enrollBody.tags, ['finance']);
    assert.equal(enrollBody.publicKey, aim.agents.get(agent.id)!.keys.get(agent.keyId)!.x);
    assert.equal(aim.enrollmentTokens.has('aim_enr_test'), false);
    assert.equal(agent.name, 'invoice-bot');
    assert.equal(agent.baseUrl, aim.baseUrl);
    const saved = await readCredentials(path);
    assert.deepEqual({ ...saved, privateKeyJwk: undefined }, {
      version: 1,
      baseUrl: aim.baseUrl,
      agentId: agent.id,
      organizationId: agent.organizationId,
      name: 'invoice-bot',
      keyId: agent.keyId,
      publicKey: enrollBody.publicKey,
      privateKeyJwk: undefined,
    });
    if (process.platform !== 'win32') assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await agent.me()).id, agent.id);
  });

  it('resumes from the credentials file without any request, and needs no token', async () => {
    const path = freshPath();
    const first = await secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path });
    aim.requests.length = 0;
    const again = await secure('bot', { baseUrl: aim.baseUrl, credentialsPath: path });
    assert.deepEqual(routes(), []);
    assert.deepEqual(again.toJSON(), first.toJSON());
  });

  it('refuses to start without credentials or token (enrollment_required), and with another AIM\'s file', async () => {
    const path = freshPath();
    await assert.rejects(secure('bot', { baseUrl: aim.baseUrl, credentialsPath: path }), isCode('enrollment_required'));
    assert.equal(await readCredentials(path), undefined);
    await secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path });
    await assert.rejects(secure('bot', { baseUrl: 'https://other.example.com', credentialsPath: path }), isCode('credentials_mismatch'));
  });

  it('passes AIM\'s refusal through and leaves no file (nothing was created)', async () => {
    const path = freshPath();
    await assert.rejects(secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_wrong', credentialsPath: path }), (error: unknown) => {
      assert.ok(error instanceof AimError);
      assert.deepEqual([error.code, error.status, error.requestId], ['invalid_enrollment_token', 400, 'req-test']);
      return true;
    });
    assert.equal(await readCredentials(path), undefined);
  });

  it('leaves no file when the key never left the process (no challenge)', async () => {
    const path = freshPath();
    aim.intercept = (r) => (r.url === '/api/v1/agent-challenges' ? 'drop' : undefined);
    await assert.rejects(secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path }), isCode('network_error'));
    assert.equal(await readCredentials(path), undefined);
  });

  it('keeps the key when the enrollment answer is lost, and completes the file on the next start', async () => {
    const path = freshPath();
    aim.intercept = (r) => (r.url === '/api/v1/agents/enroll' ? 'handle-then-drop' : undefined);
    await assert.rejects(secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path }), isCode('network_error'));
    const pending = await readCredentials(path);
    assert.equal(pending?.agentId, null);
    const registered = [...aim.agents.values()].find((a) => a.keys.has(pending!.keyId));
    assert.ok(registered, 'AIM did register the key');
    aim.intercept = undefined;
    const agent = await secure('bot', { baseUrl: aim.baseUrl, credentialsPath: path });
    assert.equal(agent.id, registered.id);
    assert.equal(agent.keyId, pending!.keyId);
    assert.equal((await readCredentials(path))?.agentId, registered.id);
  });

  it('enrolls the saved key when the enrollment never reached AIM', async () => {
    const path = freshPath();
    aim.intercept = (r) => (r.url === '/api/v1/agents/enroll' ? 'drop' : undefined);
    await assert.rejects(secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path }), isCode('network_error'));
    const pending = await readCredentials(path);
    aim.intercept = undefined;
    await assert.rejects(secure('bot', { baseUrl: aim.baseUrl, credentialsPath: path }), isCode('enrollment_required'));
    const agent = await secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path });
    assert.equal(agent.keyId, pending!.keyId);
    assert.ok(aim.agents.get(agent.id)!.keys.has(pending!.keyId));
  });

  it('does not start a second enrollment over a file another process created meanwhile', async () => {
    const path = freshPath();
    aim.enrollmentTokens.add('aim_enr_second');
    const results = await Promise.allSettled([
      secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_test', credentialsPath: path }),
      secure('bot', { baseUrl: aim.baseUrl, enrollmentToken: 'aim_enr_second', credentialsPath: path }),
    ]);
    const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : [])));
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as AimError).code] : []));
    assert.equal(ids.size, 1, 'one agent, whoever won');
    assert.ok(refusals.every((code) => code === 'credentials_exist' || code === 'key_already_registered'), refusals.join());
    assert.equal(JSON.parse(await readFile(path, 'utf8')).agentId, [...ids][0]);
  });
});
