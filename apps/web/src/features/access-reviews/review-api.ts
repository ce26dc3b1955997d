import type { components } from '@/api/schema';

/** Access reviews in the dashboard: the API's types, labels and the live topics that change them. */
export type AccessReview = components['schemas']['AccessReview'];
export type AccessReviewItem = components['schemas']['AccessReviewItem'];
export type Scope = components['schemas']['AccessReviewScope'];

/** The live topics of what a review page shows (the audit target types of its changes). */
export const REVIEW_TOPICS = ['access_review', 'access_review_item', 'agent', 'api_key', 'capability_grant'] as const;

export const SCOPE_LABEL: Record<Scope['kind'], string> = {
  all_agents: 'All agents',
  owner_agents: "One owner's agents",
  high_risk_grants: 'High and critical grants',
  api_keys: 'API keys',
};

export const SUBJECT_LABEL: Record<AccessReviewItem['subjectType'], string> = { agent: 'Agent', grant: 'Grant', api_key: 'API key' };

export const REASON_LABEL: Record<AccessReviewItem['reviewerReason'], string> = {
  owner: 'owner',
  manager: 'manager (owner gone, or their own access)',
  creator: 'campaign creator (nobody else could)',
  self: 'themselves (nobody else in the organization)',
};

export const isReviewId = (id: string) => /^arv_[0-9a-z]{26}$/.test(id);
export const reviewHref = (id: string) => `/access-reviews/detail/?id=${encodeURIComponent(id)}`;

/** Decided items over all items, as a whole percentage. */
export function progressOf(r: AccessReview): { decided: number; percent: number } {
  const decided = r.summary.total - r.summary.pending;
  return { decided, percent: r.summary.total === 0 ? 100 : Math.round((decided / r.summary.total) * 100) };
}
