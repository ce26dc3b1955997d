'use client';

import { ComplianceView } from '@/features/compliance/compliance-view';

/** Compliance: each framework's controls with their status and evidence, and the signed reports. */
export default function Page() {
  return <ComplianceView />;
}
