'use client';

import { AccessReviews } from '@/features/access-reviews/review-list';

/** Access reviews: campaigns with their progress, the form to start one, and the reviewer's inbox. */
export default function Page() {
  return <AccessReviews />;
}
