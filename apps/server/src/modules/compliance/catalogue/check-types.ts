import type { Tx } from '../../../platform/db/database.js';
import type { ChainVerification } from '../chain-verification.js';

/** What a check answers: `unknown` when there is nothing to judge by (no evidence), never a guess. */
export type CheckStatus = 'pass' | 'fail' | 'unknown';

/** The half-open period [from, to) a report or a live status covers. */
export interface Period {
  from: Date;
  to: Date;
}

/** The organization's compliance settings the checks measure against (docs/compliance.md §2). */
export interface CheckSettings {
  accessReviewDays: number;
  agentKeyMaxAgeDays: number;
  /** Minutes within which an alert of each severity must be acknowledged (or resolved). */
  alertAckMinutes: Record<'critical' | 'high' | 'medium' | 'low', number>;
  /** Days after which each signing key purpose must have a newer key. */
  signingKeyMaxAgeDays: Record<'session' | 'agent_token' | 'audit_checkpoint', number>;
}

/**
 * The rows behind a check's status: what was asked of the database (in words), the counts it
 * answered, and at most SAMPLE_LIMIT example rows (ids and timestamps) of what the status rests on.
 */
export interface CheckEvidence {
  query: string;
  counts: Record<string, number>;
  samples: Record<string, string | number | boolean | null>[];
}

export interface CheckResult {
  status: CheckStatus;
  summary: string;
  evidence: CheckEvidence;
}

/** What every check may read: one read-only transaction of the organization, and what was computed before it. */
export interface CheckEnvironment {
  tx: Tx;
  period: Period;
  settings: CheckSettings;
  /** The audit chain's verification over the period (its own transactions); only for checks that declare `readsChain`. */
  chain: ChainVerification;
  /** The public keys that sign audit checkpoints (and reports). */
  checkpointKeys: () => Promise<{ keys: Record<string, unknown>[] }>;
}

export interface CheckDefinition {
  id: string;
  title: string;
  /** What evidence the check reads and when it passes, fails or is unknown (docs/compliance.md repeats it). */
  description: string;
  /** The check reads `chain`, so it runs once the chain is walked; the others run while it is. */
  readsChain?: boolean;
  run(env: CheckEnvironment): Promise<CheckResult>;
}

/** Example rows per check: enough to follow, never the whole table. */
export const SAMPLE_LIMIT = 10;

export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

export const iso = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : (value instanceof Date ? value : new Date(value)).toISOString();

export function result(status: CheckStatus, summary: string, query: string, counts: Record<string, number>, samples: CheckEvidence['samples'] = []): CheckResult {
  return { status, summary, evidence: { query, counts, samples } };
}

/** Whether a table or column exists (tables of other features that may not be installed). */
export async function hasRelation(tx: Tx, table: string, column?: string): Promise<boolean> {
  const { rows } = await tx.query<{ ok: boolean }>(
    column
      ? `select exists (select 1 from information_schema.columns where table_schema = 'public' and table_name = $1 and column_name = $2) as ok`
      : `select to_regclass('public.' || $1) is not null as ok`,
    column ? [table, column] : [table],
  );
  return rows[0]?.ok === true;
}
