import type { AppError } from '../platform/http/app-error.js';

/** The code of the AppError `fn` throws, or null when it returns: for unit tests of validators. */
export function thrownCode(fn: () => unknown): string | null {
  try {
    fn();
  } catch (error) {
    return (error as AppError).code;
  }
  return null;
}
