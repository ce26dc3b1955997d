import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { Writable } from 'node:stream';
import pg from 'pg';
import { buildApp, type AppInstance } from '../app.js';
import type { Platform } from '../platform/platform.js';
import { loadConfig, type Config } from '../platform/config/env.js';
import { createOutbox } from '../platform/mail/mailer.js';
import { createLoggers } from '../platform/observability/logger.js';
import { createPlatform } from '../platform/platform.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { forEachTarget, type TestTarget } from './targets.js';

/** Keys for a test run: random per process, never the same twice. */
export const TEST_ENCRYPTION_KEYS = `t1:${randomBytes(32).toString('base64url')}`;
export const TEST_LOOKUP_KEY = randomBytes(32).toString('base64url');

/** Log lines written by the app under test, parsed, for assertions about what is (not) logged. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      this.raw.push(line);
      const entry = JSON.parse(line) as Record<string, unknown>;
      this.lines.push(entry);
      // Errors the server logged (a 500's cause) go to the test output too: an unexpected 500 in CI
      // is otherwise reported with nothing but its request id.
      if (entry.level === 'error' || entry.level === 'fatal') process.stderr.write(`[server error] ${line}\n`);
    }
    done();
  }
}

export interface TestApp {
  app: AppInstance;
  platform: Platform;
  database: TestDatabase;
  config: Config;
  logs: LogCapture;
  redisPrefix: string;
  outbox: ReturnType<typeof createOutbox>;
  /** A connection as the database owner (around RLS), opened on first use and closed by `close()`. */
  owner(): Promise<pg.Client>;
  close(): Promise<void>;
}

/**
 * The real app, built in-process against a fresh database of the target and the target's store.
 * `prepare` may add routes or hooks before the app is made ready.
 */
export async function createTestApp(
  target: TestTarget,
  options: {
    env?: Record<string, string>;
    prepare?: (app: AppInstance, platform: Platform) => void | Promise<void>;
    /** Another instance of the same deployment: same database, same Redis namespace, same keys. */
    sameDeploymentAs?: TestApp;
    /** Answers DNS TXT lookups (the process edge) for domain verification. */
    dnsTxt?: (name: string) => Promise<string[][]>;
  } = {},
): Promise<TestApp> {
  const shared = options.sameDeploymentAs;
  const database = shared ? { ...shared.database, drop: async () => undefined } : await createTestDatabase(target);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.ownerUrl,
    DATABASE_APP_ROLE: target.appRole,
    DATABASE_APP_PASSWORD: target.appPassword,
    AIM_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    AIM_LOOKUP_KEY: TEST_LOOKUP_KEY,
    // inject() names Host localhost:80: with PORT 80, AIM's default address (http://localhost) is the one it
    // addresses. An app that listens takes the port it binds (http://localhost:<port>; public-origin.ts).
    PORT: '80',
    ...(target.redisUrl ? { REDIS_URL: target.redisUrl } : {}),
    // Checkpoints follow the chain only in tests that ask (AUDIT_CHECKPOINT_DELAY_MS), so that others sign when they say.
    AUDIT_CHECKPOINT_DELAY_MS: '900000',
    ...options.env,
  });
  const logs = new LogCapture();
  const outbox = createOutbox();
  const redisPrefix = shared?.redisPrefix ?? `aim-test:${randomBytes(6).toString('hex')}:`;
  const platform = await createPlatform(config, createLoggers(config.logLevel, logs), {
    appUrl: database.appUrl,
    secrets: { encryptionKeys: config.secrets.encryptionKeys!, lookupKey: config.secrets.lookupKey! },
    redisPrefix,
    // With SMTP_URL (a test's own SMTP server, smtp-capture.ts) mail really goes out; otherwise to the outbox.
    ...(config.mail.smtpUrl ? {} : { mailer: outbox }),
    ...(options.dnsTxt ? { dnsTxt: options.dnsTxt } : {}),
  });
  const app = await buildApp(platform);
  await options.prepare?.(app, platform);
  await app.ready();
  let owner: Promise<pg.Client> | undefined;
  return {
    app,
    platform,
    database,
    config,
    logs,
    redisPrefix,
    outbox,
    owner() {
      owner ??= (async () => {
        const client = new pg.Client({ connectionString: database.ownerUrl });
        await client.connect();
        return client;
      })();
      return owner;
    },
    async close() {
      if (owner) await (await owner).end();
      await app.close();
      await platform.close();
      await database.drop();
    },
  };
}

/**
 * A suite over two instances of one deployment (same database, same Redis namespace, same keys), on
 * every target: `instances.a` and `instances.b` are made before its tests and closed after them.
 * `skip` is set where the instances share nothing (the in-process store); pass it to each test.
 */
export function acrossInstances(
  title: string,
  body: (instances: { readonly a: TestApp; readonly b: TestApp }, skip: string | undefined) => void,
  options: { env?: Record<string, string> } = {},
): void {
  forEachTarget(title, (target) => {
    const instances = {} as { a: TestApp; b: TestApp };
    before(async () => {
      instances.a = await createTestApp(target, { env: options.env ?? {} });
      instances.b = await createTestApp(target, { env: options.env ?? {}, sameDeploymentAs: instances.a });
    });
    after(async () => {
      await instances.b?.close();
      await instances.a?.close();
    });
    body(instances, target.redisUrl ? undefined : 'needs Redis shared by both instances');
  });
}

/**
 * Listen on a free port of 127.0.0.1 and answer AIM's public address: `http://localhost:<that port>`
 * without PUBLIC_URL. Clients that sign requests or hold cookies use it (public-origin.ts).
 */
export async function listenPublic(t: TestApp): Promise<string> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return t.platform.publicOrigin.baseUrl;
}
