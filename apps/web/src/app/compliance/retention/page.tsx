'use client';

import { RetentionView } from '@/features/retention/retention';

/** Retention of the organization's data and the legal hold (compliance.read; changes: compliance.manage). */
export default function Page() {
  return <RetentionView />;
}
