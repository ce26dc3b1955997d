'use client';

import { EnrollmentTokens } from '@/features/enrollment-tokens/enrollment-tokens';

/** One-time enrollment tokens: agents that register themselves use one. Members create their own; managers and admins see all. */
export default function Page() {
  return <EnrollmentTokens />;
}
