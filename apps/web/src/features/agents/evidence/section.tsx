'use client';

import { type ReactNode } from 'react';
import type { components } from '@/api/schema';
import { useSession } from '@/components/session';
import { Badge } from '@/components/ui';

/**
 * The agent page's evidence and authorization sections: capability grants (granted and revoked by
 * `capability.manage` holders), security reviews and incidents (`trust.review`), attestations by
 * other agents (read-only: agents make them through the SDK) and members' ratings (`trust.rate`).
 * Each gets its rows from the page, which reloads them on live events.
 */

export type Agent = components['schemas']['Agent'];

/** What a section shows: its rows, or why they could not be read. */
export type Rows<T> = T[] | string;

export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A date-time-local control's value as the API's RFC 3339 time (an empty box: not given). */
export const localTime = { setValueAs: (v: unknown) => (typeof v === 'string' && v !== '' ? new Date(v).toISOString() : undefined) };

export function Recorder({ by, people }: { by: { type: 'user' | 'api_key'; id: string }; people: Map<string, string> }) {
  const { me } = useSession();
  if (by.type === 'api_key') return <>an API key</>;
  return <>{by.id === me?.user.id ? 'you' : (people.get(by.id) ?? by.id)}</>;
}

export function Severity({ level }: { level: string }) {
  return <Badge>{level}</Badge>;
}
