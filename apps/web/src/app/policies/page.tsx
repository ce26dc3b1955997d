'use client';

import { PolicyList } from '@/features/policies/policy-list';

/** The organization's policies (latest versions). Everyone reads them; holders of policy.manage create them. */
export default function Page() {
  return <PolicyList />;
}
