'use client';

import { SecurityOverviewView } from '@/features/security/security-overview';

/** The security overview: active alerts, alerts over time, top agents, denials and trust, over 7/14/30 days. */
export default function Page() {
  return <SecurityOverviewView />;
}
