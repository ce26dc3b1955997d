'use client';

import { AccessReviewDetailView } from '@/features/access-reviews/review-detail';

/** One access review campaign: its items, decisions with notes, completion or cancellation, the report. */
export default function Page() {
  return <AccessReviewDetailView />;
}
