'use client';

import { DecisionDetailView } from '@/features/decisions/decision-detail';

/** One decision: what was asked, what AIM answered and why, who resolved it, and its audit trail. */
export default function Page() {
  return <DecisionDetailView />;
}
