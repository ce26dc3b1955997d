/**
 * When a failed delivery goes again (docs/webhooks.md, "Retries"): after the n-th failed attempt, wait
 * RETRY_DELAYS_SECONDS[n - 1], give or take 20 % (jitter, so a receiver coming back is not met by
 * every delivery at the same second). The delays add up to about three days; after the last attempt the
 * delivery has failed.
 */
export const RETRY_DELAYS_SECONDS: readonly number[] = [
  5,
  30,
  2 * 60,
  10 * 60,
  30 * 60,
  60 * 60,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  24 * 3600,
  24 * 3600,
];

/** Attempts in all: the first and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

export const JITTER = 0.2;

/**
 * When the next attempt is due after `attemptsMade` attempts (all failed), or null when that was the
 * last one. `random` is in [0, 1) (Math.random; fixed in tests).
 */
export function nextAttemptAt(attemptsMade: number, now: Date, random: () => number = Math.random): Date | null {
  if (attemptsMade < 1) return now;
  const delay = RETRY_DELAYS_SECONDS[attemptsMade - 1];
  if (delay === undefined) return null;
  const factor = 1 + JITTER * (2 * random() - 1);
  return new Date(now.getTime() + Math.round(delay * factor * 1000));
}
