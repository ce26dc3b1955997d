import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { bool, int, jobSchedules, origins, postgresUrl, redisUrl, trustProxy } from './env-values.js';
import { publicUrlProblem } from './public-origin.js';
import { syslogUrl } from './syslog-url.js';

/**
 * The one schema for every environment variable AIM reads. `loadConfig` is the only place
 * `process.env` is read; everything else receives the parsed `Config`.
 * `.env.example` documents each variable; a test keeps the two in step.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(8080, 0, 65535),
  PUBLIC_URL: z.url({ message: 'must be the URL people use to reach AIM, such as https://aim.example.com' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  CORS_ORIGINS: origins,
  TRUST_PROXY: trustProxy,
  BODY_LIMIT_BYTES: int(1_048_576, 1024, 100 * 1_048_576),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  /** Slow clients: the whole request (headers and body) must arrive within this; otherwise 408 and the connection closes. */
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 100, 600_000),
  /** The request headers must arrive within this (at most HTTP_REQUEST_TIMEOUT_MS). */
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  /** An idle keep-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(72_000, 1000, 600_000),
  /**
   * A connection on which nothing is sent or received for this long is closed (a client that stops reading).
   * Above the longest quiet answer: a decision long-poll (60 s) and the live stream's ping (25 s).
   */
  HTTP_IDLE_TIMEOUT_MS: int(120_000, 65_000, 3_600_000),

  AIM_DATA_DIR: z.string().min(1).default('.aim'),
  AIM_EMBEDDED_PG_PORT: int(0, 0, 65535),

  DATABASE_URL: postgresUrl.optional(),
  DATABASE_APP_URL: postgresUrl.optional(),
  DATABASE_APP_ROLE: z
    .string()
    .regex(SQL_IDENTIFIER, { message: 'must be a lower-case SQL identifier such as aim_app' })
    .default('aim_app'),
  DATABASE_APP_PASSWORD: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  DATABASE_POOL_MAX: int(10, 1, 500),

  REDIS_URL: redisUrl.optional(),

  AIM_ENCRYPTION_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{43}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{43})*$/, {
      message: 'must be id:key[,id:key…], each key 32 random bytes in base64url (primary first)',
    })
    .optional(),
  AIM_LOOKUP_KEY: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be 32 random bytes in base64url' }).optional(),
  AIM_BOOTSTRAP_TOKEN: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),

  OIDC_GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  OIDC_GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_MICROSOFT_TENANT: z.string().regex(/^[A-Za-z0-9.-]+$/, { message: 'must be a tenant id or domain' }).optional(),
  OIDC_MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
  OIDC_MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_OKTA_ISSUER: z.url({ message: 'must be your Okta issuer URL, such as https://acme.okta.com' }).optional(),
  OIDC_OKTA_CLIENT_ID: z.string().min(1).optional(),
  OIDC_OKTA_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_ISSUER: z.url({ message: 'must be the issuer URL of an OIDC provider' }).optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_DISPLAY_NAME: z.string().min(1).max(100).default('Single sign-on'),

  OUTBOUND_ALLOW_PRIVATE_NETWORKS: bool(false),
  AUDIT_RETENTION_EXPORT_DIR: z.string().min(1).optional(),
  /** Checkpoints anchored outside AIM (docs/audit.md §5, §7, §8; .env.example). */
  AUDIT_CHECKPOINT_DELAY_MS: int(5_000, 100, 900_000),
  AUDIT_TSA_URL: z.url({ message: 'must be the http(s) URL of an RFC 3161 time-stamping authority' }).refine((v) => /^https?:\/\//.test(v), { message: 'must start with http:// or https://' }).optional(),
  AUDIT_TSA_TIMEOUT_MS: int(10_000, 100, 120_000),
  AUDIT_WITNESS: z.string().refine((v) => v === 'none' || /^(file:\/\/\/|https?:\/\/)/.test(v), { message: 'must be file:///absolute/path.ndjson, https://…, or none' }).optional(),
  AUDIT_ANCHOR_RETRY_MS: int(10_000, 10, 3_600_000),

  SMTP_URL: z
    .url({ message: 'must be an SMTP URL such as smtps://user:password@smtp.example.com:465' })
    .refine((v) => /^smtps?:\/\//.test(v), { message: 'must start with smtp:// or smtps://' })
    .optional(),
  MAIL_FROM: z.string().min(3).default('AIM <aim@localhost>'),
  INVITATION_TTL_HOURS: int(168, 1, 30 * 24),

  SESSION_ACCESS_TTL_SECONDS: int(86_400, 60, 7 * 86_400),
  SESSION_REFRESH_TTL_SECONDS: int(7 * 86_400, 300, 90 * 86_400),
  SESSION_KEY_ROTATION_DAYS: int(30, 1, 365),

  AGENT_TOKEN_TTL_SECONDS: int(600, 60, 3600),
  AGENT_TOKEN_KEY_ROTATION_DAYS: int(7, 1, 365),
  AGENT_KEY_ROTATION_OVERLAP_SECONDS: int(3600, 0, 604_800),
  /** New trust evidence for an agent is gathered this long before its score is recalculated once. */
  TRUST_RECALCULATION_DEBOUNCE_MS: int(5000, 100, 600_000),
  TRUST_HISTORY_MONTHS: int(13, 1, 1200),
  /** Days of webhook events, deliveries and attempts kept (whole months are dropped once older). */
  WEBHOOK_RETENTION_DAYS: int(30, 7, 3650),
  /** Days decisions are kept for organizations without their own decision retention (docs/retention.md). */
  DECISION_RETENTION_DAYS: int(400, 180, 36500),
  JOB_SCHEDULES: jobSchedules,
  /**
   * How often due schedules are looked for. pg-boss lets one check through per this interval across
   * instances, and timer jitter stops every second one: checks land about twice this far apart, which
   * must stay under a minute, or an every-minute schedule misses minutes.
   */
  JOB_CRON_CHECK_SECONDS: int(20, 1, 25),
  /** Hold every domain event in the outbox instead of delivering it (maintenance, and the crash test). */
  EVENT_DISPATCH_PAUSED: bool(false),
  /** Webhook delivery (docs/webhooks.md): how long one attempt may take in all (connect, answer, body). */
  WEBHOOK_TIMEOUT_MS: int(15_000, 100, 300_000),
  /** An endpoint failing for this long without a success, failing again, is disabled (hours; fractions allowed). */
  WEBHOOK_DISABLE_AFTER_HOURS: z
    .string()
    .regex(/^\d+(\.\d+)?$/, { message: 'must be a number of hours, such as 72 or 0.5' })
    .transform(Number)
    .refine((n) => n > 0 && n <= 8760, { message: 'must be more than 0 and at most 8760 (a year)' })
    .default(72),
  /** Attempts one instance has in flight at once, in all and per endpoint (a slow endpoint holds at most its share). */
  WEBHOOK_CONCURRENCY: int(64, 1, 10_000),
  WEBHOOK_ENDPOINT_CONCURRENCY: int(8, 1, 10_000),
  /** Send no webhooks: deliveries wait (maintenance, and tests that look at deliveries before they are sent). */
  WEBHOOK_DELIVERY_PAUSED: bool(false),
  /** A live stream (GET /api/v1/events) ends after this long; the browser reconnects with its cookies checked again. */
  LIVE_STREAM_MAX_MS: int(300_000, 10, 3_600_000),
  SERVE_DASHBOARD: bool(true),

  RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 3600),
  RATE_LIMIT_IP_MAX: int(600, 1, 100_000_000),
  RATE_LIMIT_PRINCIPAL_MAX: int(1200, 1, 100_000_000),
  RATE_LIMIT_SIGN_IN_MAX: int(20, 1, 100_000),

  /** The deployment's syslog collector for the audit stream (docs/siem.md): tcp://host:port or tls://host:port; off when unset. */
  SIEM_SYSLOG_URL: syslogUrl.optional(),
  /** PEM file of the certificate authorities that sign a tls:// collector's certificate (default: the system's). */
  SIEM_SYSLOG_CA_FILE: z.string().min(1).optional(),
  SIEM_SYSLOG_APP_NAME: z.string().regex(/^[!-~]{1,48}$/, { message: 'must be 1 to 48 printable ASCII characters without spaces (RFC 5424 APP-NAME)' }).default('aim'),
  SIEM_SYSLOG_HOSTNAME: z.string().regex(/^[!-~]{1,255}$/, { message: 'must be 1 to 255 printable ASCII characters without spaces (RFC 5424 HOSTNAME)' }).optional(),
  SIEM_SYSLOG_FACILITY: int(10, 0, 23),
  SIEM_SYSLOG_START: z.enum(['beginning', 'now']).default('beginning'),
  /** Reconnection backoff doubles from 100 ms up to this. */
  SIEM_SYSLOG_RETRY_MAX_MS: int(30_000, 10, 600_000),
  /** Besides the wake-up on every chaining, how often the streamer looks for events not yet sent. */
  SIEM_SYSLOG_POLL_MS: int(5_000, 50, 600_000),

  METRICS_ENABLED: bool(true),
  METRICS_TOKEN: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ message: 'must be an OTLP/HTTP endpoint such as http://collector:4318' }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('aim-server'),
});

export type Env = z.infer<typeof envSchema>;

export interface DeploymentIdentityProvider {
  id: 'google' | 'microsoft' | 'okta' | 'oidc';
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Presets: the issuer of each well-known provider; a provider is on when its client id and secret are set. */
function identityProviders(e: Env, problems: string[]): DeploymentIdentityProvider[] {
  const out: DeploymentIdentityProvider[] = [];
  const add = (id: DeploymentIdentityProvider['id'], displayName: string, issuer: string | undefined, clientId?: string, secret?: string) => {
    const prefix = id === 'oidc' ? 'OIDC' : `OIDC_${id.toUpperCase()}`;
    if (!clientId && !secret) return;
    if (!clientId || !secret || !issuer) {
      problems.push(`${prefix}_*: set the client id, the client secret${id === 'google' ? '' : ' and the issuer/tenant'} together`);
      return;
    }
    out.push({ id, displayName, issuer, clientId, clientSecret: secret });
  };
  add('google', 'Google', 'https://accounts.google.com', e.OIDC_GOOGLE_CLIENT_ID, e.OIDC_GOOGLE_CLIENT_SECRET);
  add(
    'microsoft',
    'Microsoft',
    e.OIDC_MICROSOFT_TENANT && `https://login.microsoftonline.com/${e.OIDC_MICROSOFT_TENANT}/v2.0`,
    e.OIDC_MICROSOFT_CLIENT_ID,
    e.OIDC_MICROSOFT_CLIENT_SECRET,
  );
  add('okta', 'Okta', e.OIDC_OKTA_ISSUER, e.OIDC_OKTA_CLIENT_ID, e.OIDC_OKTA_CLIENT_SECRET);
  add('oidc', e.OIDC_DISPLAY_NAME, e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET);
  return out;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  /** PUBLIC_URL as set; what AIM's address is, set or not, is `PublicOrigin`'s answer (public-origin.ts). */
  publicUrl: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  corsOrigins: string[];
  trustProxy: boolean | number | string[];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** Node's HTTP server limits (docs: .env.example); long answers (long-polls, the live stream) are not bound by them. */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number; idleTimeoutMs: number };
  dataDir: string;
  database: {
    /** Owner connection used for migrations; absent in embedded mode until the cluster is started. */
    url: string | undefined;
    appUrl: string | undefined;
    appRole: string;
    appPassword: string | undefined;
    poolMax: number;
    embeddedPort: number;
  };
  redisUrl: string | undefined;
  /** Configured secrets; in embedded mode missing ones are generated and kept in the data folder. */
  secrets: {
    encryptionKeys: string | undefined;
    lookupKey: string | undefined;
    bootstrapToken: string | undefined;
  };
  sessions: { accessTtlSeconds: number; refreshTtlSeconds: number; keyRotationDays: number };
  agents: { tokenTtlSeconds: number; tokenKeyRotationDays: number; keyRotationOverlapSeconds: number };
  trust: { recalculationDebounceMs: number; historyMonths: number };
  /** Days of webhook events, deliveries and attempts kept (replays reach this far back). */
  webhookRetentionDays: number;
  /** Scheduled jobs: cron overrides by job name, and how often due schedules are looked for. */
  jobs: { schedules: Record<string, string>; cronCheckIntervalSeconds: number };
  live: { streamMaxMs: number };
  /** Domain event delivery from the outbox (docs/events.md). */
  events: { dispatchPaused: boolean };
  /** Webhook delivery (docs/webhooks.md): per-attempt timeout, auto-disable window, concurrency per instance. */
  webhookDelivery: { timeoutMs: number; disableAfterHours: number; concurrency: number; endpointConcurrency: number; paused: boolean };
  /** false: an API-only server; the dashboard is hosted elsewhere (README, "Deploying the dashboard separately"). */
  serveDashboard: boolean;
  mail: { smtpUrl: string | undefined; from: string };
  /** Identity providers configured for the whole deployment, by id (google, microsoft, okta, oidc). */
  identityProviders: DeploymentIdentityProvider[];
  invitationTtlHours: number;
  /** Let user-supplied outbound URLs reach private and loopback addresses (internal IdPs). */
  outboundAllowPrivateNetworks: boolean;
  /** Where retention writes an NDJSON export of the events it is about to remove (none when unset). */
  auditRetentionExportDir: string | undefined;
  /** The deployment's decision retention, for organizations without their own (docs/retention.md). */
  decisionRetentionDays: number;
  /** Checkpoints anchored outside AIM (docs/audit.md §5, §7, §8). */
  auditAnchoring: { checkpointDelayMs: number; tsaUrl: string | undefined; tsaTimeoutMs: number; witness: string | undefined; retryMs: number };
  rateLimit: { windowMs: number; ipMax: number; principalMax: number; signInMax: number };
  /** Audit streaming to the deployment's syslog collector (docs/siem.md); `destination` unset: off. */
  siem: {
    destination: { protocol: 'tcp' | 'tls'; host: string; port: number } | undefined;
    caFile: string | undefined;
    appName: string;
    /** RFC 5424 HOSTNAME; unset: the public URL's host. */
    hostname: string | undefined;
    facility: number;
    /** Where a deployment's first stream starts: every retained event, or what is chained from then on. */
    start: 'beginning' | 'now';
    retryMaxMs: number;
    pollMs: number;
  };
  metricsEnabled: boolean;
  /** When set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  tracing: { endpoint: string | undefined; serviceName: string };
}

/** Whether AIM is reached over HTTPS (Secure cookies, HSTS). */
export const isHttps = (config: Pick<Config, 'publicUrl'>): boolean => config.publicUrl?.startsWith('https://') ?? false;

/** Parse the environment once. Throws a ConfigError that lists every problem at once. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const appRole = e.DATABASE_APP_URL ? decodeURIComponent(new URL(e.DATABASE_APP_URL).username) : e.DATABASE_APP_ROLE;
  if (e.DATABASE_URL && !e.DATABASE_APP_URL && !e.DATABASE_APP_PASSWORD) {
    problems.push(
      'DATABASE_APP_PASSWORD: required with DATABASE_URL (the password AIM sets for its restricted role), unless DATABASE_APP_URL is given',
    );
  }
  if (e.DATABASE_URL && !e.AIM_ENCRYPTION_KEYS) {
    problems.push('AIM_ENCRYPTION_KEYS: required with DATABASE_URL (keys that encrypt personal data and stored secrets)');
  }
  if (e.DATABASE_URL && !e.AIM_LOOKUP_KEY) {
    problems.push('AIM_LOOKUP_KEY: required with DATABASE_URL (the key of the hashes used to look up personal data)');
  }
  const providers = identityProviders(e, problems);
  if (!SQL_IDENTIFIER.test(appRole)) {
    problems.push('DATABASE_APP_URL: its user name must be a lower-case SQL identifier such as aim_app');
  }
  const publicUrl = e.PUBLIC_URL && publicUrlProblem(e.PUBLIC_URL, e.SERVE_DASHBOARD);
  if (publicUrl) problems.push(publicUrl);
  if (e.DATABASE_APP_URL && !e.DATABASE_URL) {
    problems.push('DATABASE_APP_URL: only meaningful together with DATABASE_URL (the owner connection used for migrations)');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must be at most HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }
  if (e.SIEM_SYSLOG_CA_FILE && e.SIEM_SYSLOG_URL?.protocol !== 'tls') {
    problems.push('SIEM_SYSLOG_CA_FILE: only meaningful with a tls:// SIEM_SYSLOG_URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      idleTimeoutMs: e.HTTP_IDLE_TIMEOUT_MS,
    },
    dataDir: e.AIM_DATA_DIR,
    database: {
      url: e.DATABASE_URL,
      appUrl: e.DATABASE_APP_URL,
      appRole,
      appPassword: e.DATABASE_APP_PASSWORD,
      poolMax: e.DATABASE_POOL_MAX,
      embeddedPort: e.AIM_EMBEDDED_PG_PORT,
    },
    redisUrl: e.REDIS_URL,
    secrets: { encryptionKeys: e.AIM_ENCRYPTION_KEYS, lookupKey: e.AIM_LOOKUP_KEY, bootstrapToken: e.AIM_BOOTSTRAP_TOKEN },
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    identityProviders: providers,
    invitationTtlHours: e.INVITATION_TTL_HOURS,
    outboundAllowPrivateNetworks: e.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
    auditRetentionExportDir: e.AUDIT_RETENTION_EXPORT_DIR,
    auditAnchoring: {
      checkpointDelayMs: e.AUDIT_CHECKPOINT_DELAY_MS,
      tsaUrl: e.AUDIT_TSA_URL,
      tsaTimeoutMs: e.AUDIT_TSA_TIMEOUT_MS,
      // With the embedded database (npm start), the witness is a file in the data folder unless told otherwise.
      witness: e.AUDIT_WITNESS === 'none' ? undefined : (e.AUDIT_WITNESS ?? (e.DATABASE_URL ? undefined : pathToFileURL(join(resolve(e.AIM_DATA_DIR), 'audit-witness.ndjson')).href)),
      retryMs: e.AUDIT_ANCHOR_RETRY_MS,
    },
    sessions: {
      accessTtlSeconds: e.SESSION_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: e.SESSION_REFRESH_TTL_SECONDS,
      keyRotationDays: e.SESSION_KEY_ROTATION_DAYS,
    },
    agents: {
      tokenTtlSeconds: e.AGENT_TOKEN_TTL_SECONDS,
      tokenKeyRotationDays: e.AGENT_TOKEN_KEY_ROTATION_DAYS,
      keyRotationOverlapSeconds: e.AGENT_KEY_ROTATION_OVERLAP_SECONDS,
    },
    trust: { recalculationDebounceMs: e.TRUST_RECALCULATION_DEBOUNCE_MS, historyMonths: e.TRUST_HISTORY_MONTHS },
    webhookRetentionDays: e.WEBHOOK_RETENTION_DAYS,
    decisionRetentionDays: e.DECISION_RETENTION_DAYS,
    jobs: { schedules: e.JOB_SCHEDULES, cronCheckIntervalSeconds: e.JOB_CRON_CHECK_SECONDS },
    live: { streamMaxMs: e.LIVE_STREAM_MAX_MS },
    events: { dispatchPaused: e.EVENT_DISPATCH_PAUSED },
    webhookDelivery: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      disableAfterHours: e.WEBHOOK_DISABLE_AFTER_HOURS,
      concurrency: e.WEBHOOK_CONCURRENCY,
      endpointConcurrency: e.WEBHOOK_ENDPOINT_CONCURRENCY,
      paused: e.WEBHOOK_DELIVERY_PAUSED,
    },
    serveDashboard: e.SERVE_DASHBOARD,
    rateLimit: {
      windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
      ipMax: e.RATE_LIMIT_IP_MAX,
      principalMax: e.RATE_LIMIT_PRINCIPAL_MAX,
      signInMax: e.RATE_LIMIT_SIGN_IN_MAX,
    },
    siem: {
      destination: e.SIEM_SYSLOG_URL,
      caFile: e.SIEM_SYSLOG_CA_FILE,
      appName: e.SIEM_SYSLOG_APP_NAME,
      hostname: e.SIEM_SYSLOG_HOSTNAME,
      facility: e.SIEM_SYSLOG_FACILITY,
      start: e.SIEM_SYSLOG_START,
      retryMaxMs: e.SIEM_SYSLOG_RETRY_MAX_MS,
      pollMs: e.SIEM_SYSLOG_POLL_MS,
    },
    metricsEnabled: e.METRICS_ENABLED,
    metricsToken: e.METRICS_TOKEN,
    tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
  };
}
