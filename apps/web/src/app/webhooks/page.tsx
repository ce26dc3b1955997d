'use client';

import { WebhooksPage } from '@/features/webhooks/endpoint-list';

/** The organization's webhook endpoints: the list, and a new one with its secret shown once. */
export default function Page() {
  return <WebhooksPage />;
}
