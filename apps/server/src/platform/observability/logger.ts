import { pino, destination as pinoDestination, stdTimeFunctions, type Logger, type DestinationStream } from 'pino';

/**
 * Structured JSON logs. Credentials never reach a log line: headers and fields that carry them
 * are redacted wherever they appear, and request logs carry only method, path and status.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.privateKey',
  '*.clientSecret',
  '*.refreshToken',
  '*.accessToken',
  'password',
  'secret',
  'token',
  'apiKey',
  'privateKey',
  'clientSecret',
  'refreshToken',
  'accessToken',
  'connectionString',
  '*.connectionString',
];

export interface Loggers {
  /** The application logger: every field passes through redaction. */
  logger: Logger;
  /**
   * The access log: one line per request with a fixed set of fields (request id, method, route
   * pattern, status, duration) that can never hold a credential, so it skips the redaction pass,
   * which is most of a log call's cost on the hot path.
   */
  access: Logger;
}

export function createLoggers(level: string, destination?: DestinationStream): Loggers {
  const stream = destination ?? pinoDestination({ dest: 1, sync: false });
  const common = {
    level,
    base: { service: 'aim-server' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return {
    logger: pino({ ...common, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream),
    access: pino({ ...common, base: { service: 'aim-server', log: 'access' } }, stream),
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return createLoggers(level, destination).logger;
}

/** Strip credentials from a connection string before it is printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
