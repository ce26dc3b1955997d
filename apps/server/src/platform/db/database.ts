import pg from 'pg';
import type { Tracer } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';

/**
 * The application's connection pool, connected as the restricted role (no ownership, no
 * BYPASSRLS). Every transaction is bound to one tenant scope: the organization id is set with
 * `set_config('app.current_org_id', …, true)` in the same round trip as BEGIN, so row-level
 * security sees it for exactly that transaction and never leaks to the next user of the connection.
 */

export type QueryParams = readonly unknown[];

export interface QueryOptions {
  /**
   * A name makes the statement a named prepared statement: each connection parses and plans it once
   * and reuses the plan. For the hot path only; the text for a name must never vary.
   */
  name?: string;
}

export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: QueryParams, options?: QueryOptions): Promise<pg.QueryResult<R>>;
}

/** A transaction handle. Repositories read the tenant from it, never from their callers. */
export interface Tx extends Queryable {
  /** The organization this transaction is scoped to; null for system work outside any tenant. */
  readonly organizationId: string | null;
  /**
   * Run part of the same transaction in another scope (and restore this one after), for flows
   * that must change several scopes atomically, such as a first sign-in that creates a person
   * (system scope) and their memberships (organization scope).
   */
  withScope<T>(organizationId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Run `fn` once the transaction has committed (never after a rollback): a nudge to work that reads
   * what the transaction wrote, such as the event dispatcher. A throw is ignored; keep it short.
   */
  afterCommit(fn: () => void): void;
  /** Seals personal values under a person's data key (crypto/personal-data.ts); null when not configured. */
  readonly personalData: PersonalSealer | null;
}

/** What the audit write path needs of personal-data encryption (crypto/personal-data.ts implements it). */
export interface PersonalSealer {
  /** Each value sealed under the person's key (`pd1.…`), null stays null; all null when their key was destroyed. */
  seal(tx: Tx, userId: string, values: { value: string | null; aad: string }[]): Promise<(string | null)[]>;
}

/** The organization of a tenant-scoped transaction; repositories filter every query by it. */
export function orgOf(tx: Tx): string {
  if (!tx.organizationId) throw new Error('This query needs a transaction scoped to an organization.');
  return tx.organizationId;
}

export interface TenantScope {
  organizationId: string | null;
}

export interface Database {
  /** Run `fn` in one transaction scoped to the organization; commit on return, roll back on throw. */
  transaction<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** A single statement outside any tenant (health checks, system reads). RLS still applies. */
  query: Queryable['query'];
  poolStats(): { total: number; idle: number; waiting: number; max: number };
  /** Where the pool connects, for work that opens connections of its own (the chain walk's threads). Never logged. */
  readonly connectionString: string;
  close(): Promise<void>;
}

const ORG_ID = /^org_[0-9a-z]{26}$/;

export class InvalidTenantScopeError extends Error {
  constructor() {
    super('A transaction was opened with a malformed organization id.');
    this.name = 'InvalidTenantScopeError';
  }
}

export interface DatabaseOptions {
  connectionString: string;
  max: number;
  applicationName?: string;
  tracer?: Tracer | undefined;
  personalData?: PersonalSealer | undefined;
}

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    application_name: options.applicationName ?? 'aim-server',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client's error (server restart, network) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);

  const tracer = options.tracer;
  const traced = (target: pg.Pool | pg.PoolClient): Queryable['query'] => {
    const run = (text: string, params?: QueryParams, options?: QueryOptions) =>
      options?.name ? target.query({ name: options.name, text, values: params as unknown[] }) : target.query(text, params as unknown[]);
    if (!tracer) return run as Queryable['query'];
    return (text, params, options) =>
      tracer.startActiveSpan(
        'pg.query',
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.query.text': text } },
        async (span) => {
          try {
            return await run(text, params, options);
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
            throw error;
          } finally {
            span.end();
          }
        },
      ) as never;
  };

  const poolQuery = traced(pool);
  let closing: Promise<void> | undefined;

  return {
    connectionString: options.connectionString,
    async transaction(scope, fn) {
      const org = scope.organizationId;
      if (org !== null && !ORG_ID.test(org)) throw new InvalidTenantScopeError();
      const client = await pool.connect();
      const query = traced(client);
      let released = false;
      const committed: (() => void)[] = [];
      const afterCommit = (fn: () => void) => {
        if (!committed.includes(fn)) committed.push(fn);
      };
      try {
        // The id is validated above against a strict pattern, so it is safe as a literal here;
        // BEGIN and set_config go out in one round trip.
        await client.query(`BEGIN; SELECT set_config('app.current_org_id', '${org ?? ''}', true)`);
        const scoped = (current: string | null): Tx => ({
          organizationId: current,
          query,
          afterCommit,
          personalData: options.personalData ?? null,
          async withScope(next, inner) {
            if (next !== null && !ORG_ID.test(next)) throw new InvalidTenantScopeError();
            const set = (value: string | null) => query(`SELECT set_config('app.current_org_id', $1, true)`, [value ?? '']);
            await set(next);
            let result: Awaited<ReturnType<typeof inner>>;
            try {
              result = await inner(scoped(next));
            } catch (error) {
              await set(current).catch(() => undefined); // the transaction may be aborted; it rolls back anyway
              throw error;
            }
            await set(current);
            return result;
          },
        });
        const result = await fn(scoped(org));
        await client.query('COMMIT');
        for (const fn of committed) {
          try {
            fn();
          } catch {
            // a nudge only: what it would start also runs on its own schedule
          }
        }
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          client.release(rollbackError as Error); // the connection is unusable: destroy it
          released = true;
        }
        throw error;
      } finally {
        if (!released) client.release();
      }
    },
    query: poolQuery,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: options.max }),
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
