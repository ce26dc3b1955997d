import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCredentialsPath, readCredentials, storedKey, writeCredentials, type Credentials } from './credentials.js';
import { AimError } from './errors.js';
import { generateKeyPair } from './keys.js';

const posix = process.platform !== 'win32';
let root: string;

function credentialsFor(): Credentials {
  return {
    version: 1,
    baseUrl: 'https://aim.example.com',
    agentId: 'agt_00000000000000000000000001',
    organizationId: 'org_00000000000000000000000001',
    name: 'invoice-bot',
    ...storedKey(generateKeyPair()),
  };
}

/** Every string an error exposes: message, stack, and its causes'. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: unknown; stack?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    parts.push(String(e.message), String(e.stack));
  }
  return parts.join('\n');
}

describe('credentials file', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'aim-sdk-credentials-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is written with mode 0600 in a new directory with mode 0700, atomically, and reads back', async () => {
    const path = join(root, 'new-dir', 'nested', 'agent.json');
    const credentials = credentialsFor();
    await writeCredentials(path, credentials);
    if (posix) {
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(root, 'new-dir', 'nested'))).mode & 0o777, 0o700);
      assert.equal((await stat(join(root, 'new-dir'))).mode & 0o777, 0o700);
    }
    assert.deepEqual(await readCredentials(path), credentials);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), credentials);
    await writeCredentials(path, { ...credentials, name: 'renamed' });
    assert.equal((await readCredentials(path))?.name, 'renamed');
    assert.deepEqual(await readdir(join(root, 'new-dir', 'nested')), ['agent.json'], 'no temporary file is left behind');
  });

  it('answers undefined when there is no file', async () => {
    assert.equal(await readCredentials(join(root, 'missing.json')), undefined);
  });

  it('refuses a file that group or others can read (0644, 0640)', { skip: !posix && 'POSIX modes only' }, async () => {
    const path = join(root, 'loose.json');
    const credentials = credentialsFor();
    await writeCredentials(path, credentials);
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(path, mode);
      await assert.rejects(readCredentials(path), (error: unknown) => {
        assert.ok(error instanceof AimError);
        assert.equal(error.code, 'insecure_credentials');
        assert.ok(!errorText(error).includes(credentials.privateKeyJwk.d));
        return true;
      });
    }
    await chmod(path, 0o600);
    assert.ok(await readCredentials(path));
  });

  it('with exclusive, refuses to replace an existing file (credentials_exist) and leaves it as it was', async () => {
    const path = join(root, 'exclusive.json');
    const first = credentialsFor();
    await writeCredentials(path, first, { exclusive: true });
    await assert.rejects(writeCredentials(path, credentialsFor(), { exclusive: true }), (error: unknown) => error instanceof AimError && error.code === 'credentials_exist');
    assert.deepEqual(await readCredentials(path), first);
    assert.deepEqual((await readdir(root)).filter((name) => name.endsWith('.tmp')), []);
  });

  it('never quotes the file (and so the private key) when it is malformed', async () => {
    const path = join(root, 'broken.json');
    const { privateKeyJwk } = credentialsFor();
    const bodies = [
      `{"version":1,"privateKeyJwk":{"d":"${privateKeyJwk.d}"} trailing`,
      JSON.stringify({ version: 1, baseUrl: 'https://aim.example.com', name: 'x', agentId: null, organizationId: null, keyId: 'k', publicKey: 'p', privateKeyJwk }),
      JSON.stringify({ ...credentialsFor(), privateKeyJwk: { ...privateKeyJwk, x: generateKeyPair().publicKey } }),
    ];
    for (const body of bodies) {
      await writeFile(path, body, { mode: 0o600 });
      await assert.rejects(readCredentials(path), (error: unknown) => {
        assert.ok(error instanceof AimError);
        assert.equal(error.code, 'invalid_credentials');
        assert.ok(!errorText(error).includes(privateKeyJwk.d), errorText(error));
        return true;
      });
    }
  });

  it('defaults to $AIM_CREDENTIALS_DIR/<name>.json, and a name cannot leave the directory', () => {
    const previous = process.env.AIM_CREDENTIALS_DIR;
    try {
      process.env.AIM_CREDENTIALS_DIR = join(root, 'agents');
      assert.equal(defaultCredentialsPath('invoice-bot'), join(root, 'agents', 'invoice-bot.json'));
      assert.equal(defaultCredentialsPath('../../etc/passwd'), join(root, 'agents', '..%2F..%2Fetc%2Fpasswd.json'));
      assert.equal(defaultCredentialsPath('bot é'), join(root, 'agents', 'bot%20%C3%A9.json'));
      delete process.env.AIM_CREDENTIALS_DIR;
      assert.match(defaultCredentialsPath('invoice-bot'), /[/\\]\.aim[/\\]agents[/\\]invoice-bot\.json$/);
    } finally {
      if (previous === undefined) delete process.env.AIM_CREDENTIALS_DIR;
      else process.env.AIM_CREDENTIALS_DIR = previous;
    }
  });
});
