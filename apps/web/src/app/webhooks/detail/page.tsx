'use client';

import { EndpointDetailView } from '@/features/webhooks/endpoint-detail';

/** One webhook endpoint: its settings, actions, and live deliveries with their attempts. */
export default function Page() {
  return <EndpointDetailView />;
}
