import type { Logger } from 'pino';
import type { PublicOrigin } from './config/public-origin.js';
import type { AccessCache } from './auth/access-cache.js';
import type { AuditSequencer } from './audit/audit-sequencer.js';
import type { UsageCounter } from './auth/usage-counter.js';
import type { SessionTokens } from './auth/session-tokens.js';
import type { AgentAuthenticator } from './auth/agent-auth.js';
import type { AgentChallenges } from './auth/agent-challenges.js';
import type { AgentTokens } from './auth/agent-tokens.js';
import type { SigningKeys } from './auth/signing-keys.js';
import type { Keyring } from './crypto/keyring.js';
import type { OutboundGuard } from './net/outbound-guard.js';
import type { Database } from './db/database.js';
import type { SharedStore } from './store/shared-store.js';
import type { Metrics } from './observability/metrics.js';
import type { JobHealthStore } from './jobs/job-health.js';
import type { Tracing } from './observability/tracing.js';
import type { DomainEvents } from './events/domain-events.js';
import type { Config } from './config/env.js';
import { createDatabase } from './db/database.js';
import { assertRestrictedRole } from './db/role-check.js';
import { createKeyring, parseEncryptionKeys } from './crypto/keyring.js';
import { createPersonalData, type PersonalData } from './crypto/personal-data.js';
import { createAccessCache } from './auth/access-cache.js';
import { AGENT_FAILED_REQUESTS, AGENT_KEY_USAGE, API_KEY_USAGE, createUsageCounter } from './auth/usage-counter.js';
import { createSessionTokens } from './auth/session-tokens.js';
import { createSigningKeys } from './auth/signing-keys.js';
import { createAgentAuthenticator } from './auth/agent-auth.js';
import { createAuthFailureRecorder, type AuthFailureRecorder } from './auth/auth-failure-recorder.js';
import { createAgentChallenges } from './auth/agent-challenges.js';
import { createAgentTokens } from './auth/agent-tokens.js';
import { createPublicOrigin } from './config/public-origin.js';
import type { Loggers } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createJobHealthStore } from './jobs/job-health.js';
import { createTracing } from './observability/tracing.js';
import { AUDIT_APPENDED_MAX } from '@aim/contracts';
import { createAuditSequencer } from './audit/audit-sequencer.js';

import { resolveTxt } from 'node:dns/promises';
import { createMailer, type Mailer } from './mail/mailer.js';
import { createOutboundGuard } from './net/outbound-guard.js';
import { createDomainEvents } from './events/domain-events.js';
import { createMemoryStore } from './store/memory-store.js';
import { createRedisStore } from './store/redis-store.js';
import { VERSION } from './version.js';

/** Everything a module may depend on. Built once at start (main.ts) or per test. */
export interface Platform {
  config: Config;
  /** AIM's one public address (public-origin.ts): everything that names AIM reads it. */
  publicOrigin: PublicOrigin;
  version: string;
  logger: Logger;
  /** One line per request; see createLoggers. */
  accessLog: Logger;
  /** Encryption at rest and lookup hashes for personal data and stored secrets. */
  keyring: Keyring;
  /** Per-person data keys: personal fields sealed under them, destroyed by erasure (docs/privacy.md). */
  personalData: PersonalData;
  db: Database;
  store: SharedStore;
  metrics: Metrics | undefined;
  /** The last successful run and the last failure of each scheduled job (deployment-wide). */
  jobHealth: JobHealthStore;
  tracing: Tracing | undefined;
  mailer: Mailer;
  /** The one guard for outbound requests to user-supplied URLs. */
  outbound: OutboundGuard;
  dnsTxt: (name: string) => Promise<string[][]>;
  accessCache: AccessCache;
  domainEvents: DomainEvents;
  sessionKeys: SigningKeys;
  /** Signs audit checkpoints. */
  checkpointKeys: SigningKeys;
  /** Chains committed audit events. */
  auditSequencer: AuditSequencer;
  sessionTokens: SessionTokens;
  /** Signs agent tokens; published at /.well-known/jwks.json. */
  agentTokenKeys: SigningKeys;
  agentTokens: AgentTokens;
  agentChallenges: AgentChallenges;
  agentAuth: AgentAuthenticator;
  apiKeyUsage: UsageCounter;
  agentKeyUsage: UsageCounter;
  agentFailedRequests: UsageCounter;
  /** Refused requests naming known agent keys, for monitoring (flushed while the monitoring feature runs). */
  authFailures: AuthFailureRecorder;
}

export interface PlatformConnections {
  appUrl: string;
  secrets: { encryptionKeys: string; lookupKey: string };
  redisPrefix?: string;
  /** Replaces the configured mailer (tests use an outbox). */
  mailer?: Mailer;
  /** Replaces DNS TXT lookups (tests answer for their own domains). */
  dnsTxt?: (name: string) => Promise<string[][]>;
}

export type RunningPlatform = Platform & { close(): Promise<void> };

/** Connect everything a running app needs and check the database role is a restricted one. */
export async function createPlatform(config: Config, loggers: Loggers, connections: PlatformConnections): Promise<RunningPlatform> {
  const platform = assemblePlatform(config, loggers, connections);
  try {
    await assertRestrictedRole(platform.db);
  } catch (error) {
    await platform.close();
    throw error;
  }
  return platform;
}

/** Build the platform without touching any service (connections open lazily). */
export function assemblePlatform(config: Config, { logger, access }: Loggers, connections: PlatformConnections): RunningPlatform {
  const { appUrl, secrets } = connections;
  const keyring = createKeyring({
    keys: parseEncryptionKeys(secrets.encryptionKeys),
    lookupKey: Buffer.from(secrets.lookupKey, 'base64url'),
  });
  const tracing = createTracing({ endpoint: config.tracing.endpoint, serviceName: config.tracing.serviceName, version: VERSION });
  const personalData = createPersonalData(keyring);
  const db = createDatabase({ connectionString: appUrl, max: config.database.poolMax, tracer: tracing?.tracer, personalData });
  const store = config.redisUrl ? createRedisStore(config.redisUrl, { prefix: connections.redisPrefix }) : createMemoryStore();
  const jobHealth = createJobHealthStore(db, logger);
  let eventBacklog: () => Promise<{ pending: number; oldestAgeSeconds: number }> = async () => ({ pending: 0, oldestAgeSeconds: 0 });
  const metrics = config.metricsEnabled ? createMetrics({ poolStats: db.poolStats, jobHealth, eventBacklog: () => eventBacklog() }) : undefined;
  const sessionKeys = createSigningKeys({
    db,
    keyring,
    purpose: 'session',
    rotateAfterMs: config.sessions.keyRotationDays * 86_400_000,
    // A retired key verifies until every access token it signed has expired, and a little more.
    retainMs: (config.sessions.accessTtlSeconds + 300) * 1000,
  });
  const domainEvents = createDomainEvents({
    db,
    store,
    logger,
    metrics,
    dispatcher: { paused: config.events.dispatchPaused },
  });
  eventBacklog = () => domainEvents.backlog();
  // Every committed change, once chained, is announced (`audit.appended`, recorded in the chaining
  // transaction): the dashboard's live updates. A batch can hold thousands; the first ones are listed.
  const auditSequencer = createAuditSequencer(db, logger, {
    onChained: (tx, events) => domainEvents.record(tx, 'audit.appended', { count: events.length, events: events.slice(0, AUDIT_APPENDED_MAX) }).then(() => undefined),
  });
  const outbound = createOutboundGuard({ allowPrivateNetworks: config.outboundAllowPrivateNetworks });
  const checkpointKeys = createSigningKeys({
    db,
    keyring,
    purpose: 'audit_checkpoint',
    rotateAfterMs: 365 * 86_400_000,
    // Checkpoints are checked for as long as the log is kept: retired keys stay published.
    retainMs: 100 * 365 * 86_400_000,
  });
  const agentTokenKeys = createSigningKeys({
    db,
    keyring,
    purpose: 'agent_token',
    rotateAfterMs: config.agents.tokenKeyRotationDays * 86_400_000,
    // Published until every token the key signed has expired, and a little more.
    retainMs: (config.agents.tokenTtlSeconds + 300) * 1000,
  });
  const publicOrigin = createPublicOrigin(config);
  const agentTokens = createAgentTokens({ keys: agentTokenKeys, issuer: () => publicOrigin.baseUrl, ttlSeconds: config.agents.tokenTtlSeconds });
  const accessCache = createAccessCache(db, store);
  const apiKeyUsage = createUsageCounter(db, API_KEY_USAGE, { onError: (err) => logger.warn({ err }, 'could not record API key usage') });
  const agentKeyUsage = createUsageCounter(db, AGENT_KEY_USAGE, { onError: (err) => logger.warn({ err }, 'could not record agent key usage') });
  const agentFailedRequests = createUsageCounter(db, AGENT_FAILED_REQUESTS, { onError: (err) => logger.warn({ err }, 'could not record refused agent requests') });
  const authFailures = createAuthFailureRecorder({ db, events: domainEvents, logger });
  return {
    config,
    publicOrigin,
    version: VERSION,
    logger,
    accessLog: access,
    keyring,
    personalData,
    db,
    store,
    metrics,
    jobHealth,
    tracing,
    outbound,
    dnsTxt: connections.dnsTxt ?? ((name: string) => resolveTxt(name)),
    mailer: connections.mailer ?? createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, logger }),
    accessCache,
    domainEvents,
    agentTokenKeys,
    agentTokens,
    agentChallenges: createAgentChallenges({ keyring, store }),
    agentAuth: createAgentAuthenticator({
      cache: accessCache,
      tokens: agentTokens,
      store,
      usage: agentKeyUsage,
      failures: agentFailedRequests,
      refusals: authFailures,
      countRefusal: metrics ? (reason) => metrics.countAgentAuthFailure(reason) : undefined,
      publicOrigin,
    }),
    sessionKeys,
    checkpointKeys,
    auditSequencer,
    sessionTokens: createSessionTokens(sessionKeys, config.sessions.accessTtlSeconds),
    apiKeyUsage,
    agentKeyUsage,
    agentFailedRequests,
    authFailures,
    async close() {
      // What the recorder holds is recorded before the dispatcher stops.
      await authFailures.close();
      await domainEvents.close();
      await auditSequencer.stop();
      await outbound.close();
      await apiKeyUsage.close();
      await agentKeyUsage.close();
      await agentFailedRequests.close();
      await store.close();
      await db.close();
      await tracing?.shutdown();
    },
  };
}
