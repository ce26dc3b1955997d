import assert from 'node:assert/strict';

/**
 * Waits until `probe` answers true, polling every 50 ms, and fails the test naming `what` when it has
 * not within the time limit. For effects that follow a request asynchronously (a mail marked sent
 * after the SMTP server took it, an event delivered), never for timing assertions.
 */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
