import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCredentials, storedKey, writeCredentials, type Credentials } from './credentials.js';
import { generateKeyPair } from './keys.js';
import { secure } from './secure.js';
import { isCode, noFetch, unreachableAddress } from './test-support/offline.js';

/**
 * secure() without an AIM server: argument checks, the credentials file's guards, and what is kept
 * when AIM cannot be reached. Enrollment, resuming and lost answers are tested against the real server
 * in apps/server/src/modules/agents/sdk.test.ts.
 */

let root: string;
/** An address where nothing listens. */
let unreachable: string;
let counter = 0;
const freshPath = () => join(root, `agent-${(counter += 1)}.json`);

function credentialsFor(baseUrl: string, extra: Partial<Credentials> = {}): Credentials {
  return {
    version: 1,
    baseUrl,
    agentId: 'agt_00000000000000000000000001',
    organizationId: 'org_00000000000000000000000001',
    name: 'bot',
    ...storedKey(generateKeyPair()),
    ...extra,
  };
}

describe('secure() (no server)', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'aim-sdk-secure-'));
    unreachable = await unreachableAddress();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('needs a name and an http(s) baseUrl without credentials, query or fragment', async () => {
    await assert.rejects(secure(' ', { baseUrl: 'https://aim.example.com', fetch: noFetch }), isCode('invalid_argument'));
    for (const baseUrl of ['aim.example.com', 'ftp://aim.example.com', 'https://user:pw@aim.example.com', 'https://aim.example.com/?x=1', 'https://aim.example.com/#top']) {
      await assert.rejects(secure('bot', { baseUrl, credentialsPath: freshPath(), enrollmentToken: 'aim_enr_x', fetch: noFetch }), isCode('invalid_argument'), baseUrl);
    }
  });

  it('refuses to start without credentials or an enrollment token (enrollment_required), and writes nothing', async () => {
    const path = freshPath();
    await assert.rejects(secure('bot', { baseUrl: 'https://aim.example.com', credentialsPath: path, fetch: noFetch }), isCode('enrollment_required'));
    assert.equal(await readCredentials(path), undefined);
  });

  it("resumes with the same AIM however its address is written, and refuses another AIM's file (credentials_mismatch)", async () => {
    const path = freshPath();
    const credentials = credentialsFor('https://aim.example.com:443/');
    await writeCredentials(path, credentials);
    const agent = await secure('bot', { baseUrl: 'https://AIM.example.com', credentialsPath: path, enrollmentToken: 'aim_enr_ignored', fetch: noFetch });
    assert.deepEqual([agent.id, agent.keyId, agent.baseUrl], [credentials.agentId, credentials.keyId, 'https://aim.example.com']);
    await assert.rejects(secure('bot', { baseUrl: 'https://other.example.com', credentialsPath: path, fetch: noFetch }), isCode('credentials_mismatch'));
  });

  it('leaves no file when AIM cannot be reached for a challenge (the key never left the process)', async () => {
    const path = freshPath();
    await assert.rejects(secure('bot', { baseUrl: unreachable, enrollmentToken: 'aim_enr_x', credentialsPath: path }), isCode('network_error'));
    assert.equal(await readCredentials(path), undefined);
  });

  it('keeps a pending enrollment when AIM cannot be asked whether it registered the key', async () => {
    const path = freshPath();
    await writeCredentials(path, credentialsFor(unreachable, { agentId: null, organizationId: null }));
    const before = await readFile(path, 'utf8');
    await assert.rejects(secure('bot', { baseUrl: unreachable, enrollmentToken: 'aim_enr_x', credentialsPath: path }), isCode('network_error'));
    assert.equal(await readFile(path, 'utf8'), before);
  });

  it('keeps both keys of a pending rotation when AIM cannot tell, and goes on with the current key', async () => {
    const path = freshPath();
    const credentials = credentialsFor(unreachable, { pendingKey: storedKey(generateKeyPair()) });
    await writeCredentials(path, credentials);
    const before = await readFile(path, 'utf8');
    const agent = await secure('bot', { baseUrl: unreachable, credentialsPath: path });
    assert.equal(agent.keyId, credentials.keyId);
    assert.equal(await readFile(path, 'utf8'), before);
  });
});
