'use client';

import { CapabilityRequests } from '@/features/capability-requests/requests';

/** Capability requests: the open ones first; managers and admins approve (optionally narrower, for a while) or reject with a note. */
export default function Page() {
  return <CapabilityRequests />;
}
