import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createChainWalker, type ChainVerdict } from '@aim/audit-verify';
import pg from 'pg';
import { copyTextRows } from '../db/copy-rows.js';
import type { Queryable } from '../db/database.js';

/**
 * The audit chain re-walked from a database snapshot, split over worker threads when it is long.
 *
 * Every event's stored hash is recomputed from its content and the stored hash of the event before
 * it (the same code as the verify endpoint and the offline verifier, @aim/audit-verify). That test
 * involves only two neighbouring events, so a long range splits into spans walked at the same time:
 * each span starts from the stored hash just before it, and the spans are joined by checking that
 * each one started from exactly the hash the previous one ended on. Every span reads the same
 * snapshot (exported by the coordinating transaction), so the joined walk is the walk of one
 * consistent chain, event by event, as a single walk would be.
 */

/**
 * The walk reads its rows with COPY in text format (platform/db/copy-rows.ts): no protocol message, row
 * object or type parser per row. Hashes come as hex. Times come as PostgreSQL's ISO output in UTC (the
 * span's transaction sets both) and are rewritten here into the chain's form,
 * YYYY-MM-DDTHH:MM:SS.ffffffZ, which costs PostgreSQL less than to_char (the writer's form, audit-row.ts;
 * the walk's tests check both agree). `details` stays jsonb's text, canonicalized from it without
 * building objects when it is flat (canonicalJsonText).
 */
export function chainTime(text: string): string {
  // 2026-03-04 05:06:07.12+00 (trailing zeros of the fraction dropped) or 2026-03-04 05:06:07+00
  const zone = text.length - 3;
  if (text[10] !== ' ' || text.slice(zone) !== '+00') throw new Error(`unexpected time from the database: ${text}`);
  const fraction = text[19] === '.' ? text.slice(20, zone) : '';
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction.padEnd(6, '0')}Z`;
}

const COLUMNS = `seq, encode(hash, 'hex'), id, occurred_at, actor_type, actor_id, action, target_type, target_id, outcome, request_id, client_ip, user_agent, details`;

export interface Span {
  organizationId: string;
  /** The span walks fromSeq..toSeq. */
  fromSeq: number;
  toSeq: number;
  /** The stored hash before fromSeq (hex), or null to read it from the event at fromSeq - 1. */
  startHash: string | null;
  /** The coordinating transaction's snapshot, so that every span reads the same chain. */
  snapshot: string | null;
  /** The span ends the walk (events missing after it are missing "from the end"). */
  last: boolean;
}

export interface SpanResult {
  verdict: ChainVerdict;
  /** hex: the hash the span started from, and the stored hash of its last event (null if none). */
  startHash: string | null;
  lastHash: string | null;
}

/**
 * Run `fn` in a read-only repeatable-read transaction of the organization, on a connection of its
 * own, with the transaction's snapshot exported for the walk's spans (valid until `fn` returns).
 */
export async function withChainSnapshot<T>(
  connectionString: string,
  organizationId: string,
  fn: (snapshot: { query: Queryable['query']; id: string }) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString, application_name: 'aim-chain-walk' });
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    await client.query(`select set_config('app.current_org_id', $1, true)`, [organizationId]);
    const { rows } = await client.query<{ id: string }>('select pg_export_snapshot() as id');
    const query: Queryable['query'] = (text, params) => client.query(text, params as unknown[]);
    return await fn({ query, id: rows[0]!.id });
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** A span whose start, the event before its first, is not there. */
const missingStart = (span: Span): SpanResult => ({
  verdict: { status: 'broken', checked: 0, brokenAt: span.fromSeq - 1, reason: `event ${span.fromSeq - 1} is missing` },
  startHash: null,
  lastHash: null,
});

/** Walk one span on its own connection, in a read-only transaction of the organization. */
export async function walkSpan(connectionString: string, span: Span): Promise<SpanResult> {
  const client = new pg.Client({ connectionString, application_name: 'aim-chain-walk' });
  // A walk that stops early leaves its COPY unfinished: the connection is ended (its transaction with it), and its late errors ignored.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    if (span.snapshot) await client.query('set transaction snapshot ' + client.escapeLiteral(span.snapshot));
    await client.query(`select set_config('app.current_org_id', $1, true), set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, MDY', true)`, [
      span.organizationId,
    ]);
    const first = span.startHash === null ? span.fromSeq - 1 : span.fromSeq;
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(span.toSeq)) throw new Error('a span is bounded by integers');
    const rows = copyTextRows(
      client,
      `select ${COLUMNS} from audit_events where organization_id = ${client.escapeLiteral(span.organizationId)} and seq >= ${first} and seq <= ${span.toSeq} order by seq`,
    );
    let walker: ReturnType<typeof createChainWalker> | null = null;
    let startHash = span.startHash;
    let lastHash: string | null = null;
    if (startHash !== null) walker = createChainWalker({ seq: span.fromSeq - 1, hash: startHash });
    walk: for await (const batch of rows) {
      for (const r of batch) {
        const seq = Number(r[0]);
        const hash = r[1] as string;
        if (!walker) {
          if (seq !== span.fromSeq - 1) return missingStart(span);
          startHash = hash;
          walker = createChainWalker({ seq, hash });
          continue;
        }
        const event = {
          seq,
          hash,
          id: r[2] as string,
          organizationId: span.organizationId,
          occurredAt: chainTime(r[3] as string),
          actor: { type: r[4] as string, id: r[5] as string | null },
          action: r[6] as string,
          target: r[7] !== null ? { type: r[7] as string, id: r[8] as string | null } : null,
          outcome: r[9] as string,
          requestId: r[10] as string | null,
          clientIp: r[11] as string | null,
          userAgent: r[12] as string | null,
          detailsJson: r[13] as string,
        };
        if (!walker.push(event)) break walk;
        lastHash = hash;
      }
    }
    if (!walker) return missingStart(span);
    let verdict = walker.verdict(span.last ? { seq: span.toSeq, hash: lastHash ?? '' } : undefined);
    if (verdict.status === 'intact' && verdict.lastSeq < span.toSeq) {
      // Events missing at the end of a span in the middle: the next span cannot start either.
      verdict = { status: 'broken', checked: verdict.checked, brokenAt: verdict.lastSeq + 1, reason: `events ${verdict.lastSeq + 1}–${span.toSeq} are missing` };
    }
    return { verdict, startHash, lastHash };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface WalkOptions {
  connectionString: string;
  organizationId: string;
  fromSeq: number;
  toSeq: number;
  /** hex: the stored hash before fromSeq (of the event there, or of the anchor retention left). */
  startHash: string;
  snapshot: string | null;
  /** Threads at most (default: the machine's parallelism). */
  threads?: number | undefined;
  /** Below this many events per thread, fewer threads (default 100,000; one span runs in this thread). */
  minEventsPerThread?: number | undefined;
}

export const MIN_EVENTS_PER_THREAD = 100_000;
const YOUNG_GENERATION_MB = 64;

function inWorker(connectionString: string, span: Span): { result: Promise<SpanResult>; stop: () => void } {
  // A young generation larger than the default: the walk allocates short-lived rows and strings by
  // the million, and fewer scavenges cost less (measured in one thread: about a tenth of its CPU).
  const worker = new Worker(new URL('./chain-walk-worker.js', import.meta.url), {
    workerData: { connectionString, span },
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const result = new Promise<SpanResult>((resolve, reject) => {
    worker.once('message', (message: { result?: SpanResult; error?: string }) => {
      if (message.result) resolve(message.result);
      else reject(new Error(`chain walk of events ${span.fromSeq}–${span.toSeq} failed: ${message.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`chain walk of events ${span.fromSeq}–${span.toSeq} stopped (exit ${code})`)));
  });
  return { result, stop: () => void worker.terminate() };
}

/** The spans' verdicts joined: the first break in seq order, or intact with the total checked. */
export function joinSpans(spans: Span[], results: SpanResult[]): ChainVerdict {
  let checked = 0;
  for (const [i, result] of results.entries()) {
    const span = spans[i]!;
    if (i > 0 && result.startHash !== null && result.startHash !== results[i - 1]!.lastHash) {
      return { status: 'broken', checked, brokenAt: span.fromSeq - 1, reason: `event ${span.fromSeq - 1} changed while the chain was walked` };
    }
    if (result.verdict.status === 'broken') return { ...result.verdict, checked: checked + result.verdict.checked };
    checked += result.verdict.checked;
  }
  const last = results[results.length - 1]!.verdict;
  return last.status === 'intact' ? { ...last, checked } : last;
}

/** Walk fromSeq..toSeq, in spans over worker threads when the range is long enough. */
export async function walkChain(options: WalkOptions): Promise<ChainVerdict> {
  const total = options.toSeq - options.fromSeq + 1;
  const minPerThread = options.minEventsPerThread ?? MIN_EVENTS_PER_THREAD;
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), Math.floor(total / minPerThread)));
  const spans: Span[] = [];
  for (let i = 0; i < threads; i++) {
    const fromSeq = options.fromSeq + Math.floor((total * i) / threads);
    const toSeq = options.fromSeq + Math.floor((total * (i + 1)) / threads) - 1;
    spans.push({ organizationId: options.organizationId, fromSeq, toSeq, startHash: i === 0 ? options.startHash : null, snapshot: options.snapshot, last: i === threads - 1 });
  }
  if (threads === 1) return (await walkSpan(options.connectionString, spans[0]!)).verdict;
  const running = spans.map((span) => inWorker(options.connectionString, span));
  try {
    return joinSpans(spans, await Promise.all(running.map((r) => r.result)));
  } finally {
    for (const r of running) r.stop();
  }
}
