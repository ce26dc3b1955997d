import type { AlertEvidence, AlertSeverity, Detector, learningFindingListQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { orgOf, type Database } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';

/**
 * What behavioural detectors would have raised while agents were learning (alert_learning_findings,
 * written by the detection engine): latest first by last seen, in keyset pages. The cursor carries
 * the last row's last_seen_at (to the microsecond, as PostgreSQL stores it) and its key; the order
 * (last seen descending, key ascending) is the one of the table's index.
 */
export type LearningFindingQuery = z.output<typeof learningFindingListQuerySchema>;

interface FindingRow {
  agent_id: string;
  type: Detector;
  severity: AlertSeverity;
  title: string;
  summary: string;
  dedup_key: string;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
  last_seen_text: string;
  evidence: AlertEvidence;
}

const findingJson = (row: FindingRow) => ({
  agentId: row.agent_id,
  type: row.type,
  severity: row.severity,
  title: row.title,
  summary: row.summary,
  dedupKey: row.dedup_key,
  occurrences: row.occurrences,
  firstSeenAt: row.first_seen_at.toISOString(),
  lastSeenAt: row.last_seen_at.toISOString(),
  evidence: row.evidence,
});

const encodeCursor = (row: FindingRow) => Buffer.from(JSON.stringify([row.last_seen_text, row.dedup_key])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0].replace(' ', 'T')))) {
      return [value[0], value[1]];
    }
  } catch {
    // Not base64url JSON: answered below like any other cursor this endpoint did not give out.
  }
  throw new AppError('validation_failed', 'cursor: not a cursor this endpoint gave out; pass nextCursor of the previous page unchanged.');
}

export function createLearningFindingService(deps: { db: Database }) {
  return {
    async list(ctx: OrgContext, query: LearningFindingQuery) {
      const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
      return deps.db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<FindingRow>(
          `select agent_id, type, severity, title, summary, dedup_key, occurrences, first_seen_at, last_seen_at,
                  to_char(last_seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as last_seen_text, evidence
             from alert_learning_findings
            where organization_id = $1 and ($2::text is null or agent_id = $2)
              and ($3::timestamptz is null or last_seen_at < $3 or (last_seen_at = $3 and dedup_key > $4::text))
            order by last_seen_at desc, dedup_key limit $5`,
          [orgOf(tx), query.agentId ?? null, after?.[0] ?? null, after?.[1] ?? null, query.limit + 1],
        );
        const more = rows.length > query.limit;
        const page = more ? rows.slice(0, query.limit) : rows;
        return { findings: page.map(findingJson), nextCursor: more ? encodeCursor(page[page.length - 1]!) : null };
      });
    },
  };
}

export type LearningFindingService = ReturnType<typeof createLearningFindingService>;
