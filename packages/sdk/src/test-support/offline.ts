import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { AimAgent } from '../agent.js';
import { storedKey, writeCredentials, type Credentials } from '../credentials.js';
import { AimError, type AimErrorCode } from '../errors.js';
import { generateKeyPair } from '../keys.js';
import { secure } from '../secure.js';

/** Helpers for the SDK's unit tests, which need no AIM server (not published). */

/** A matcher for `assert.rejects`/`assert.throws`: an AimError with this code. */
export const isCode = (code: AimErrorCode) => (error: unknown) => error instanceof AimError && error.code === code;

/** A fetch that fails the test if called: the code under test must make no request. */
export const noFetch: typeof fetch = () => {
  throw new Error('no request was expected');
};

/** An http address on this machine where nothing listens (a port just released). */
export async function unreachableAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((resolve) => server.close(resolve));
  return address;
}

/**
 * An agent loaded from a complete credentials file written under `dir` (no request is made), talking to
 * AIM through `fetchImpl`.
 */
export async function offlineAgent(dir: string, baseUrl: string, fetchImpl?: typeof fetch): Promise<AimAgent> {
  const path = join(dir, `agent-${randomBytes(6).toString('hex')}.json`);
  const credentials: Credentials = {
    version: 1,
    baseUrl,
    agentId: 'agt_00000000000000000000000001',
    organizationId: 'org_00000000000000000000000001',
    name: 'offline-bot',
    ...storedKey(generateKeyPair()),
  };
  await writeCredentials(path, credentials);
  return secure('offline-bot', { baseUrl, credentialsPath: path, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}
