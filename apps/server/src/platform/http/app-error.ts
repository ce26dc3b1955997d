import { ERROR_CODES, type ErrorCode } from '@aim/contracts';

/**
 * The one error type services throw. Its code is stable and maps to an HTTP status in one place
 * (the error handler); its message is written for the person reading the response.
 */
export class AppError extends Error {
  readonly status: number;
  readonly headers: Record<string, string> | undefined;
  /** Machine-readable facts about the failure, sent as `error.details` (never secrets). */
  readonly details: Record<string, string | number | boolean> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions & { headers?: Record<string, string>; details?: Record<string, string | number | boolean> },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
    this.headers = options?.headers;
    this.details = options?.details;
  }
}

export const notFound = (what = 'The resource') => new AppError('not_found', `${what} was not found.`);
