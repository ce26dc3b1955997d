import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AimError } from '../errors.js';

/** Helpers for the SDK's unit tests, which need no AIM server (not published). */

/** A matcher for `assert.rejects`/`assert.throws`: an AimError with this code. */
export const isCode = (code: string) => (error: unknown) => error instanceof AimError && error.code === code;

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
