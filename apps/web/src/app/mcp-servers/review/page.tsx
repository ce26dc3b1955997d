'use client';

import { ReviewView } from '@/features/mcp-servers/review-view';

/** The re-approval view: the latest scan against the approved tools, then "Approve these definitions". */
export default function Page() {
  return <ReviewView />;
}
