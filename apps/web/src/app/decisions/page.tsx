'use client';

import { DecisionsView } from '@/features/decisions/decision-list';

/** Decisions: the open approvals (managers and admins answer them), then the history with filters. */
export default function Page() {
  return <DecisionsView />;
}
