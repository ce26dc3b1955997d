'use client';

import { ApiKeys } from '@/features/api-keys/api-keys';

/** API keys: your own (admins: everyone's), created with a role at most yours and shown once. */
export default function Page() {
  return <ApiKeys />;
}
