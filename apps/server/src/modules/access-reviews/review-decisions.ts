import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { AgentReviewActions } from '../agents/index.js';
import type { ApiKeyReviewActions } from '../api-keys/index.js';
import type { GrantReviewActions } from '../capabilities/index.js';
import { accessReviewRepository, type ItemRow } from './access-review-repository.js';

/**
 * One decision on one item, in the caller's transaction: the effect on the subject through its own
 * module (agents, capabilities, api-keys: each writes its own audit event), the item's row, and the
 * `access_review.item_decided` audit event. What must happen once the transaction ends (the shared
 * store's copies of a revoked agent or key) is returned as `invalidate`.
 */
export interface ReviewEffects {
  agents: AgentReviewActions;
  grants: GrantReviewActions;
  apiKeys: ApiKeyReviewActions;
}

export type Decision = { decision: 'certify'; note?: string | undefined } | { decision: 'revoke'; note: string } | { decision: 'change'; note: string; expiresAt?: string | undefined };

const PAST: Record<Decision['decision'], 'certified' | 'revoked' | 'changed'> = { certify: 'certified', revoke: 'revoked', change: 'changed' };
const nothing = async () => undefined;

const changeRefused = (message: string) => new AppError('access_review_change_invalid', message);

async function revoke(tx: Tx, ctx: RequestContext, effects: ReviewEffects, item: ItemRow, reason: string) {
  const details = { accessReviewId: item.review_id, accessReviewItemId: item.id };
  switch (item.subject_type) {
    case 'agent':
      return effects.agents.revokeInTx(tx, ctx, item.subject_id, { reason, details });
    case 'grant':
      return { effect: await effects.grants.revokeInTx(tx, ctx, item.subject_id, details), invalidate: nothing };
    case 'api_key':
      return effects.apiKeys.revokeInTx(tx, ctx, item.subject_id, details);
  }
}

async function change(tx: Tx, ctx: RequestContext, effects: ReviewEffects, item: ItemRow, expiresAt: string | undefined) {
  if (expiresAt === undefined) return { effect: 'recorded' as const, change: { requested: true }, invalidate: nothing };
  if (item.subject_type === 'agent') throw changeRefused('An agent has no expiry to change: leave expiresAt out, and describe the change in the note (it is recorded for the owner).');
  const at = new Date(expiresAt);
  const details = { accessReviewId: item.review_id, accessReviewItemId: item.id };
  const done =
    item.subject_type === 'grant'
      ? { effect: await effects.grants.shortenInTx(tx, ctx, item.subject_id, at, details), invalidate: nothing }
      : await effects.apiKeys.shortenInTx(tx, ctx, item.subject_id, at, details);
  if (done.effect === 'invalid') {
    throw changeRefused(`expiresAt must be in the future and earlier than the ${item.subject_type === 'grant' ? "grant's" : "key's"} current expiry, and the ${item.subject_type === 'grant' ? 'grant' : 'key'} must still be active.`);
  }
  return { effect: 'applied' as const, change: { expiresAt: at.toISOString() }, invalidate: done.invalidate };
}

export async function applyDecision(
  tx: Tx,
  ctx: RequestContext,
  effects: ReviewEffects,
  item: ItemRow,
  decision: Decision,
  options: { decidedBy: string | null; automatically: boolean },
): Promise<() => Promise<void>> {
  const note = decision.note?.trim() ? decision.note.trim() : null;
  let outcome: { effect: 'applied' | 'already' | 'recorded'; change: object | null; invalidate: () => Promise<void> };
  if (decision.decision === 'certify') outcome = { effect: 'recorded', change: null, invalidate: nothing };
  else if (decision.decision === 'revoke') outcome = { ...(await revoke(tx, ctx, effects, item, note ?? 'access review')), change: null };
  else outcome = await change(tx, ctx, effects, item, decision.expiresAt);
  await accessReviewRepository.decide(tx, item.id, {
    decision: PAST[decision.decision],
    note,
    change: outcome.change,
    effect: outcome.effect,
    decidedBy: options.decidedBy,
    automatically: options.automatically,
  });
  await recordAuditEvent(tx, ctx, {
    action: 'access_review.item_decided',
    target: { type: 'access_review_item', id: item.id },
    details: {
      reviewId: item.review_id,
      subjectType: item.subject_type,
      subjectId: item.subject_id,
      decision: PAST[decision.decision],
      effect: outcome.effect,
      note,
      ...(outcome.change ? { change: outcome.change } : {}),
      automatically: options.automatically,
    },
  });
  return outcome.invalidate;
}
