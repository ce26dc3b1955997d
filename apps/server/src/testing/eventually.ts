import assert from 'node:assert/strict';

/**
 * Poll `probe` until it answers something other than undefined (the process tests' wait for background
 * work: a scheduled job, a delivery, a checkpoint); fail naming `what`, and the state `describeState`
 * reads, when it does not happen in time.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; describeState?: () => Promise<unknown> } = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const state = options.describeState ? `; last state: ${JSON.stringify(await options.describeState())}` : '';
  assert.fail(`${what} did not happen within ${timeoutMs / 1000} s${state}`);
}
