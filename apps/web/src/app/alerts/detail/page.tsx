'use client';

import { AlertDetailView } from '@/features/alerts/alert-detail';

/** One alert: its evidence in numbers and a chart, the decisions behind it, notes and actions. */
export default function Page() {
  return <AlertDetailView />;
}
