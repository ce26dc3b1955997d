'use client';

import { AuditPage } from '@/features/audit/audit-log';

/** The organization's audit log (audit.read: managers and admins): filters, export, and a check of the hash chain. */
export default function Page() {
  return <AuditPage />;
}
