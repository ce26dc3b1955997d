'use client';

import { AlertInboxView } from '@/features/alerts/alert-inbox';

/** The alerts inbox: active alerts first, with filters, bulk acknowledge and resolve, live. */
export default function Page() {
  return <AlertInboxView />;
}
