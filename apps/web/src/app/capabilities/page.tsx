'use client';

import { Catalog } from '@/features/capabilities/catalog';

/**
 * The capability catalog: what agents may be granted. Everyone reads it; holders of capability.manage
 * add entries, change their description and risk level, and remove entries that were never granted
 * or requested (the server refuses the others with 409 capability_in_use, since grants are history).
 */
export default function Page() {
  return <Catalog />;
}
