'use client';

import { Home } from '@/features/overview/overview';

/** The organization at a glance, live. */
export default function Page() {
  return <Home />;
}
