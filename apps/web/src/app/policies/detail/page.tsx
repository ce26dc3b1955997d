'use client';

import { PolicyDetailView } from '@/features/policies/policy-detail';

/** One policy: its settings, edit form, mode switch, deletion and version history. */
export default function Page() {
  return <PolicyDetailView />;
}
