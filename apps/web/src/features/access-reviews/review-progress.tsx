'use client';

import { progressOf, type AccessReview } from './review-api';

/** A campaign's progress: decided items over all items, as a bar with its numbers in words. */
export function ReviewProgress({ review }: { review: AccessReview }) {
  const { decided, percent } = progressOf(review);
  const s = review.summary;
  return (
    <div className="flex min-w-40 flex-col gap-1">
      <div
        role="progressbar"
        aria-label={`${review.name}: ${decided} of ${s.total} items decided`}
        aria-valuemin={0}
        aria-valuemax={s.total}
        aria-valuenow={decided}
        className="h-2 w-full overflow-hidden rounded bg-slate-200"
      >
        <div className="h-full bg-blue-700" style={{ width: `${percent}%` }} />
      </div>
      <span className="text-xs text-slate-700">
        {decided} of {s.total} decided ({percent}%) · {s.certified} certified · {s.revoked} revoked · {s.changed} changed
        {review.status !== 'open' && s.notReviewed > 0 ? ` · ${s.notReviewed} not reviewed` : ''}
      </span>
    </div>
  );
}
