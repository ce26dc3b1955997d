import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { ChainVerification, ChainVerifier } from './chain-verification.js';
import type { CheckResult, CheckSettings, CheckStatus, Period } from './catalogue/check-types.js';
import { coveringCheckpoint, type CoveringCheckpoint } from './catalogue/checks-records.js';
import { CHECKS_BY_ID, FRAMEWORKS_BY_ID, type FrameworkDefinition } from './catalogue/frameworks.js';
import { readSettings } from './compliance-settings.js';

/** The longest period one report or live status covers. */
export const MAX_PERIOD_DAYS = 366;
const DAY = 86_400_000;
/** How far `to` may be ahead of the server's clock (a browser's clock a little ahead of AIM's). */
export const CLOCK_SKEW_MS = 60_000;

/** A period from the query or body: [from, to), `to` not in the future, at most MAX_PERIOD_DAYS. */
export function parsePeriod(input: { from?: string | undefined; to?: string | undefined }, now: Date, defaultDays = 30): Period {
  const to = input.to ? new Date(input.to) : now;
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - defaultDays * DAY);
  if (to.getTime() > now.getTime() + CLOCK_SKEW_MS) throw new AppError('invalid_period', `\`to\` (${to.toISOString()}) is in the future; a period must have ended by now (${now.toISOString()}).`);
  if (from.getTime() >= to.getTime()) throw new AppError('invalid_period', '`from` must be earlier than `to`.');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY) throw new AppError('invalid_period', `A period may cover at most ${MAX_PERIOD_DAYS} days; split it into shorter ones.`);
  return { from, to };
}

export function frameworkOf(id: string): FrameworkDefinition {
  const framework = FRAMEWORKS_BY_ID.get(id);
  if (!framework) throw new AppError('unknown_framework', `There is no framework "${id}"; GET /api/v1/compliance/frameworks lists them.`);
  return framework;
}

/** A control fails when one of its checks fails; else it is unknown when one is unknown; else it passes. */
export function combine(statuses: CheckStatus[]): CheckStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.length === 0 || statuses.includes('unknown')) return 'unknown';
  return 'pass';
}

export interface Evaluation {
  summary: { status: CheckStatus; pass: number; fail: number; unknown: number };
  controls: { id: string; title: string; status: CheckStatus; checks: (CheckResult & { id: string; title: string })[] }[];
  checkpoint: CoveringCheckpoint | null;
}

export function createComplianceEvaluator(deps: {
  db: Database;
  chain: ChainVerifier;
  checkpointKeys: () => Promise<{ keys: Record<string, unknown>[] }>;
  signingKeyMaxAgeDays: CheckSettings['signingKeyMaxAgeDays'];
}) {
  return {
    /**
     * Every check the framework's controls name, once each, over the period, in one transaction of
     * the organization. The chain is walked at the same time (its own connections and threads); the
     * checks that read its verification run once it is done.
     */
    async evaluate(organizationId: string, framework: FrameworkDefinition, period: Period): Promise<Evaluation> {
      const walking = deps.chain.verifyPeriod(organizationId, period);
      // Awaited below; a failure of the checks' transaction first must not leave it unhandled.
      walking.catch(() => undefined);
      let chain: ChainVerification | undefined;
      return deps.db.transaction({ organizationId }, async (tx) => {
        // The walk keeps every core busy meanwhile: parallel workers would only take turns with it.
        await tx.query(`select set_config('max_parallel_workers_per_gather', '0', true)`);
        const { settings } = await readSettings(tx);
        const env = {
          tx,
          period,
          get chain(): ChainVerification {
            if (!chain) throw new Error('a check read the chain without declaring readsChain');
            return chain;
          },
          checkpointKeys: deps.checkpointKeys,
          settings: {
            accessReviewDays: settings.accessReviewDays,
            agentKeyMaxAgeDays: settings.agentKeyMaxAgeDays,
            alertAckMinutes: settings.alertAckMinutes,
            signingKeyMaxAgeDays: deps.signingKeyMaxAgeDays,
          },
        };
        const ids = [...new Set(framework.controls.flatMap((control) => control.checks))];
        const results = new Map<string, CheckResult>();
        for (const id of ids.filter((i) => !CHECKS_BY_ID.get(i)!.readsChain)) results.set(id, await CHECKS_BY_ID.get(id)!.run(env));
        chain = await walking;
        for (const id of ids.filter((i) => CHECKS_BY_ID.get(i)!.readsChain)) results.set(id, await CHECKS_BY_ID.get(id)!.run(env));
        const controls = framework.controls.map((control) => {
          const checks = control.checks.map((id) => ({ id, title: CHECKS_BY_ID.get(id)!.title, ...results.get(id)! }));
          return { id: control.id, title: control.title, status: combine(checks.map((c) => c.status)), checks };
        });
        const count = (s: CheckStatus) => controls.filter((c) => c.status === s).length;
        const covering = chain.throughSeq === null ? null : await coveringCheckpoint(tx, chain.throughSeq);
        return {
          summary: { status: combine(controls.map((c) => c.status)), pass: count('pass'), fail: count('fail'), unknown: count('unknown') },
          controls,
          checkpoint: covering?.checkpoint ?? null,
        };
      });
    },
  };
}

export type ComplianceEvaluator = ReturnType<typeof createComplianceEvaluator>;
