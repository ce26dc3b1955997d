import { createChainWalker, GENESIS_HASH } from '../../platform/audit/audit-chain.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { authorize } from '../access/permissions.js';
import { auditRepository as audit, type AuditFilter, type StoredEvent } from './audit-repository.js';

const VERIFY_BATCH = 5_000;

export const auditEventJson = (e: StoredEvent) => ({
  id: e.id,
  seq: e.seq,
  hash: e.hash.toString('hex'),
  occurredAt: e.occurredAt,
  actor: e.actor as { type: 'user' | 'agent' | 'api_key' | 'system'; id: string | null },
  action: e.action,
  target: e.target,
  outcome: e.outcome as 'success' | 'failure' | 'denied',
  requestId: e.requestId,
  clientIp: e.clientIp,
  userAgent: e.userAgent,
  details: e.details,
});

export function createAuditService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(ctx: RequestContext, filter: AuditFilter, limit: number, cursor: string | undefined) {
      authorize(ctx, 'audit.read');
      if (filter.from && filter.to && Date.parse(filter.from) >= Date.parse(filter.to)) {
        throw new AppError('validation_failed', '`from` must be earlier than `to`.');
      }
      const events = await db.transaction({ organizationId: ctx.organizationId }, (tx) =>
        audit.page(tx, filter, limit + 1, cursor ? Number(cursor) : null),
      );
      const page = events.slice(0, limit);
      return { events: page, nextCursor: events.length > limit ? String(page[page.length - 1]!.seq) : null };
    },

    /**
     * Re-walk the organization's chain (or a range of it) and report the first event that does not
     * verify: edited, deleted, reordered, or missing from the end compared with the recorded head.
     */
    async verify(ctx: RequestContext, range: { fromSeq?: number | undefined; toSeq?: number | undefined }) {
      authorize(ctx, 'audit.read');
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const head = await audit.head(tx);
        const fromSeq = range.fromSeq ?? 1;
        const toSeq = Math.min(range.toSeq ?? head.seq, head.seq);
        const report = (v: ReturnType<ReturnType<typeof createChainWalker>['verdict']>) => ({
          status: v.status,
          checked: v.checked,
          fromSeq,
          lastSeq: v.status === 'intact' ? v.lastSeq : null,
          headSeq: head.seq,
          brokenAt: v.status === 'broken' ? v.brokenAt : null,
          reason: v.status === 'broken' ? v.reason : null,
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
        let next = fromSeq;
        while (next <= toSeq) {
          const batch = await audit.range(tx, next, toSeq, VERIFY_BATCH);
          if (batch.length === 0) break;
          for (const event of batch) if (!walker.push(event)) return report(walker.verdict());
          next = batch[batch.length - 1]!.seq + 1;
        }
        const expectedLast = toSeq === head.seq ? head : { seq: toSeq, hash: (await audit.hashAt(tx, toSeq)) ?? Buffer.alloc(32) };
        return report(walker.verdict(toSeq >= fromSeq ? expectedLast : undefined));
      });
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
