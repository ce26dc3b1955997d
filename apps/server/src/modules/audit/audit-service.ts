import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  checkAgainstChain,
  checkSignatures,
  createChainWalker,
  verifyExportFile,
  GENESIS_HASH,
} from '@aim/audit-verify';
import type { auditExportQuerySchema, auditVerifyQuerySchema } from '@aim/contracts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { SigningKeys } from '../../platform/auth/signing-keys.js';
import type { AuditSequencer } from '../../platform/audit/audit-sequencer.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { UserRepository } from '../users/index.js';
import type { PersonalData } from '../../platform/crypto/personal-data.js';
import type { Anchoring } from './audit-anchoring.js';
import { createCheckpointSigner, type AnchoredCheckpoint } from './audit-checkpoints.js';
import { auditRepository as audit, type AuditFilter, type StoredEvent } from './audit-repository.js';
import { auditEventJson, openEvents, readableEventJson, type ReadableEvent } from '../../platform/audit/audit-personal.js';

const VERIFY_BATCH = 5_000;
/** Events removed per retention transaction. */
const RETENTION_BATCH = 10_000;

export { auditEventJson, readableEventJson };

/** RFC 4180 field, with formula-looking cells defused for spreadsheets. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_COLUMNS = [
  'seq', 'id', 'hash', 'occurred_at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id',
  'outcome', 'request_id', 'client_ip', 'user_agent', 'details',
] as const;

function csvLine(e: StoredEvent): string {
  return `${[
    e.seq, e.id, e.hash?.toString('hex') ?? null, e.occurredAt, e.actor.type, e.actor.id, e.action, e.target?.type ?? null,
    e.target?.id ?? null, e.outcome, e.requestId, e.clientIp, e.userAgent, e.details,
  ].map(csvField).join(',')}\r\n`;
}

/** The ids an event names: its actor, its target, and the agent a decision's event is about. */
function idsNamedBy(e: StoredEvent): string[] {
  const ids = [e.actor.id, e.target?.id, typeof e.details.agentId === 'string' ? e.details.agentId : null];
  return ids.filter((id): id is string => typeof id === 'string' && id.length <= 64);
}

export function createAuditService(deps: {
  db: Database;
  users: UserRepository;
  personalData?: PersonalData;
  checkpointKeys?: SigningKeys;
  sequencer?: AuditSequencer;
  anchoring?: Anchoring;
  logger?: Pick<Logger, 'warn'>;
}) {
  const { db } = deps;
  /** Personal members opened for people (the list, CSV); the NDJSON export keeps what is chained. */
  const readable = (tx: Tx, events: StoredEvent[]): Promise<ReadableEvent[]> =>
    deps.personalData ? openEvents(tx, deps.personalData, events) : Promise.resolve(events.map((e) => ({ ...e, erased: [] })));

  const signer = createCheckpointSigner(deps);
  const { checkpointsOf, publicKeys, signHead } = signer;

  /** Write events 1..through (from the current start) of an organization as a verifiable NDJSON file. */
  async function exportChainTo(path: string, organizationId: string, through: number): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const scope = { organizationId };
    const { first, previousHash } = await db.transaction(scope, async (tx) => {
      const anchor = await audit.anchor(tx);
      return { first: anchor.seq + 1, previousHash: anchor.hash };
    });
    async function* lines(): AsyncGenerator<string> {
      yield `${JSON.stringify({ type: 'aim.audit_export', version: 1, organizationId, fromSeq: first, toSeq: through, previousHash: previousHash.toString('hex'), exportedAt: new Date().toISOString() })}\n`;
      for (let next = first; next <= through; ) {
        const batch = await db.transaction(scope, (tx) => audit.range(tx, next, through, 2_000));
        if (batch.length === 0) break;
        yield batch.map((e) => `${JSON.stringify(auditEventJson(e))}\n`).join('');
        next = batch[batch.length - 1]!.seq + 1;
      }
    }
    await pipeline(Readable.from(lines()), createWriteStream(path, { mode: 0o600 }));
  }

  return {
    publicKeys,

    /** Sign the current head of the organization's chain. */
    async checkpoint(ctx: OrgContext): Promise<AnchoredCheckpoint> {
      return (await signHead(ctx, ctx.organizationId))!;
    },

    /** Sign the organization's chain if it grew past its last checkpoint (the follower); null when it did not. */
    async checkpointIfGrown(ctx: RequestContext, organizationId: string): Promise<AnchoredCheckpoint | null> {
      return signHead({ ...ctx, organizationId }, organizationId, { onlyIfGrown: true });
    },

    /**
     * The retention job: for every organization with a retention period, remove chained events older
     * than it (through the maintenance role), anchoring the chain at the last removed event, and record
     * the removal as an event, in the same transaction.
     */
    async applyRetention(ctx: RequestContext, options: { exportDir?: string | undefined; batchSize?: number } = {}): Promise<number> {
      // Removed in batches of consecutive events, each in its own short transaction with its own
      // audit.retention record: a first run over years of events never holds one huge delete.
      const batchSize = options.batchSize ?? RETENTION_BATCH;
      const { rows: due } = await db.query<{ organization_id: string }>('select organization_id from aim_audit_retention_due()');
      let removed = 0;
      const failures: unknown[] = [];
      for (const { organization_id: organizationId } of due) {
        try {
          removed += await retainOne(organizationId);
        } catch (error) {
          failures.push(error);
        }
      }
      // One organization's failure does not hold back the others; the job still fails, and is retried.
      if (failures.length > 0) throw new AggregateError(failures, `retention failed for ${failures.length} of ${due.length} organizations`);
      return removed;

      async function retainOne(organizationId: string): Promise<number> {
        const found = await db.transaction({ organizationId }, (tx) =>
          tx.query<{ through: string | null }>('select aim_audit_retention_through($1) as through', [organizationId]),
        );
        if (!found.rows[0]?.through) return 0;
        const through = Number(found.rows[0].through);
        if (options.exportDir) {
          // Export what is about to go first; only what was exported is then removed.
          const path = join(options.exportDir, organizationId, `through-${through}.ndjson`);
          const partial = `${path}.partial`;
          await exportChainTo(partial, organizationId, through);
          // Nothing is removed unless its export is complete and verifies.
          const check = await verifyExportFile(partial);
          if (check.verdict.status !== 'intact' || check.verdict.lastSeq !== through) {
            throw new Error(`the retention export of ${organizationId} does not verify through ${through}; nothing was removed`);
          }
          await rename(partial, path);
        }
        let total = 0;
        for (;;) {
          const batch = await removeBatch(organizationId, through);
          total += batch.removed;
          if (batch.done) return total;
        }
      }

      /** The oldest `batchSize` chained events up to `through`, removed and recorded in one transaction. */
      async function removeBatch(organizationId: string, through: number): Promise<{ removed: number; done: boolean }> {
        return db.transaction({ organizationId }, async (tx) => {
          const { rows: first } = await tx.query<{ seq: string | null }>(
            'select min(seq) as seq from audit_events where organization_id = $1 and seq is not null',
            [organizationId],
          );
          const lowest = first[0]?.seq === null || first[0]?.seq === undefined ? null : Number(first[0].seq);
          if (lowest === null || lowest > through) return { removed: 0, done: true };
          const upTo = Math.min(lowest + batchSize - 1, through);
          const { rows } = await tx.query<{ anchor_seq: string; anchor_hash: Buffer; removed: string; removed_before: Date }>(
            'select * from aim_apply_audit_retention($1, $2)',
            [organizationId, upTo],
          );
          const applied = rows[0];
          if (!applied) return { removed: 0, done: true };
          await recordAuditEvent(tx, { ...ctx, organizationId }, {
            action: 'audit.retention',
            details: {
              removed: Number(applied.removed),
              removedBefore: applied.removed_before.toISOString(),
              anchorSeq: Number(applied.anchor_seq),
              anchorHash: applied.anchor_hash.toString('hex'),
            },
          });
          return { removed: Number(applied.removed), done: upTo >= through };
        });
      }
    },

    /** The periodic job: sign every chain that grew since its last checkpoint. */
    async checkpointAllDue(ctx: RequestContext): Promise<number> {
      const { rows } = await db.query<{ organization_id: string }>('select organization_id from aim_audit_checkpoints_due()');
      const failures: unknown[] = [];
      for (const { organization_id } of rows) {
        try {
          await signHead({ ...ctx, organizationId: organization_id }, organization_id, { onlyIfGrown: true });
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `checkpoints failed for ${failures.length} of ${rows.length} organizations`);
      return rows.length;
    },


    async checkpoints(ctx: OrgContext): Promise<AnchoredCheckpoint[]> {
      return db.transaction({ organizationId: ctx.organizationId }, (tx) => checkpointsOf(tx));
    },

    /**
     * Export events of a time range as NDJSON (a header line, then one event per line, each with its
     * seq and hash, ready for the offline verifier) or CSV. Read in batches of short transactions, so
     * memory stays constant however many events there are; events appended during the export are not
     * included (the range is fixed at the start). The export itself is recorded.
     */
    async export(ctx: OrgContext, input: z.output<typeof auditExportQuerySchema>) {
      if (input.from && input.to && Date.parse(input.from) >= Date.parse(input.to)) {
        throw new AppError('validation_failed', '`from` must be earlier than `to`.');
      }
      const organizationId = ctx.organizationId;
      const scope = { organizationId };
      // Taken before the range, by the database's clock (which signs checkpoints): every checkpoint signed
      // before this covers only events the export holds.
      const { rows: clock } = await db.query<{ t: string }>(`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t`);
      const exportedAt = clock[0]!.t;
      await deps.sequencer?.drain(organizationId);
      const { range, previousHash } = await db.transaction(scope, async (tx) => {
        const range = await audit.seqRange(tx, input.from, input.to);
        const previousHash = range && range.first > 1 ? await audit.hashAt(tx, range.first - 1) : GENESIS_HASH;
        await recordAuditEvent(tx, ctx, { action: 'audit.export', details: { format: input.format, from: input.from ?? null, to: input.to ?? null } });
        return { range, previousHash };
      });
      async function* lines(): AsyncGenerator<string> {
        if (input.format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
        else {
          yield `${JSON.stringify({
            type: 'aim.audit_export',
            version: 1,
            organizationId,
            fromSeq: range?.first ?? null,
            toSeq: range?.last ?? null,
            previousHash: (previousHash ?? GENESIS_HASH).toString('hex'),
            exportedAt,
          })}\n`;
        }
        if (!range) return;
        for (let next = range.first; next <= range.last; ) {
          const batch = await db.transaction(scope, async (tx) => {
            const events = await audit.range(tx, next, range.last, 2_000);
            // CSV is for people: personal members opened. NDJSON keeps what the chain hashes.
            return input.format === 'csv' ? readable(tx, events) : events;
          });
          if (batch.length === 0) break;
          let chunk = '';
          for (const event of batch) chunk += input.format === 'csv' ? csvLine(event) : `${JSON.stringify(auditEventJson(event))}\n`;
          yield chunk;
          next = batch[batch.length - 1]!.seq! + 1;
        }
      }
      return lines();
    },

    async list(ctx: OrgContext, filter: AuditFilter, limit: number, cursor: string | undefined) {
      if (filter.from && filter.to && Date.parse(filter.from) >= Date.parse(filter.to)) {
        throw new AppError('validation_failed', '`from` must be earlier than `to`.');
      }
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const events = await audit.page(tx, filter, limit + 1, cursor ? Number(cursor) : null);
        const page = await readable(tx, events.slice(0, limit));
        // Names of who and what the page's events are about, as they are now, read in the same snapshot.
        const ids = [...new Set(page.flatMap(idsNamedBy))];
        const names: Record<string, string> = {};
        for (const r of await audit.namesOf(tx, ids)) names[r.id] = r.name;
        for (const user of await deps.users.decryptAll(tx, await audit.membersAmong(tx, ids))) names[user.id] = user.name;
        return { events: page, names, nextCursor: events.length > limit ? String(page[page.length - 1]!.ingestId) : null };
      });
    },

    /**
     * Re-walk the organization's chain (or a range of it) and report the first event that does not
     * verify: edited, deleted, reordered, or missing from the end compared with the recorded head.
     */
    async verify(ctx: OrgContext, range: z.output<typeof auditVerifyQuerySchema>) {
      await deps.sequencer?.drain(ctx.organizationId);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const head = await audit.head(tx);
        const anchor = await audit.anchor(tx);
        const fromSeq = range.fromSeq ?? anchor.seq + 1;
        const toSeq = Math.min(range.toSeq ?? head.seq, head.seq);
        const checkpoints = (await checkpointsOf(tx)).filter((c) => c.seq >= fromSeq && c.seq <= (range.toSeq ?? Number.MAX_SAFE_INTEGER));
        const report = (v: ReturnType<ReturnType<typeof createChainWalker>['verdict']>, checked = 0) => ({
          status: v.status,
          checked: v.checked,
          fromSeq,
          lastSeq: v.status === 'intact' ? v.lastSeq : null,
          headSeq: head.seq,
          brokenAt: v.status === 'broken' ? v.brokenAt : null,
          reason: v.status === 'broken' ? v.reason : null,
          checkpoints: checked,
        });
        let startHash: Buffer = GENESIS_HASH;
        if (fromSeq > 1) {
          const previous = await audit.hashAt(tx, fromSeq - 1);
          if (!previous) {
            return report({ status: 'broken', checked: 0, brokenAt: fromSeq - 1, reason: `event ${fromSeq - 1}, before the range, is missing` });
          }
          startHash = previous;
        }
        const walker = createChainWalker({ seq: fromSeq - 1, hash: startHash });
        const wanted = new Set(checkpoints.map((c) => c.seq));
        const hashes = new Map<number, string>();
        let next = fromSeq;
        while (next <= toSeq) {
          const batch = await audit.range(tx, next, toSeq, VERIFY_BATCH);
          if (batch.length === 0) break;
          for (const event of batch) {
            if (!walker.push(event)) return report(walker.verdict());
            if (wanted.has(event.seq)) hashes.set(event.seq, event.hash.toString('hex'));
          }
          next = batch[batch.length - 1]!.seq + 1;
        }
        const expectedLast = toSeq === head.seq ? head : { seq: toSeq, hash: (await audit.hashAt(tx, toSeq)) ?? Buffer.alloc(32) };
        const verdict = walker.verdict(toSeq >= fromSeq ? expectedLast : undefined);
        if (verdict.status === 'broken') return report(verdict);
        // A chain rewritten and re-hashed end to end still verifies by itself; signed checkpoints catch it.
        const problems = [
          ...checkSignatures(checkpoints, await publicKeys()),
          ...checkAgainstChain(checkpoints, (seq) => hashes.get(seq), verdict.lastSeq),
        ].sort((x, y) => x.seq - y.seq);
        const first = problems[0];
        if (first) {
          return report({ status: 'broken', checked: verdict.checked, brokenAt: first.seq, reason: `checkpoint ${first.seq}: ${first.problem}` }, checkpoints.length);
        }
        return report(verdict, checkpoints.length);
      });
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
