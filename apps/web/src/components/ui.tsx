'use client';

import type { ReactNode } from 'react';

import { buttonVariants } from './ui/button';
import { fieldClass } from './ui/input';

/**
 * Small shared pieces of the dashboard's pages: dates, the keyset pager, a status badge, and the
 * button and field styles as class names (the same as the components in `ui/`), for plain elements.
 */
export const button = buttonVariants({ variant: 'outline' });
export const primary = buttonVariants();
export const danger = buttonVariants({ variant: 'destructive' });
export const input = fieldClass;

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

const tone: Record<string, string> = {
  allow: 'bg-emerald-100 text-emerald-900',
  allowed: 'bg-emerald-100 text-emerald-900',
  approved: 'bg-emerald-100 text-emerald-900',
  active: 'bg-emerald-100 text-emerald-900',
  success: 'bg-emerald-100 text-emerald-900',
  intact: 'bg-emerald-100 text-emerald-900',
  pass: 'bg-emerald-100 text-emerald-900',
  fail: 'bg-red-100 text-red-900',
  enabled: 'bg-emerald-100 text-emerald-900',
  succeeded: 'bg-emerald-100 text-emerald-900',
  retrying: 'bg-amber-100 text-amber-900',
  failing: 'bg-amber-100 text-amber-900',
  disabled: 'bg-red-100 text-red-900',
  failed: 'bg-red-100 text-red-900',
  pending: 'bg-amber-100 text-amber-900',
  deny: 'bg-red-100 text-red-900',
  denied: 'bg-red-100 text-red-900',
  rejected: 'bg-red-100 text-red-900',
  invalidated: 'bg-red-100 text-red-900',
  revoked: 'bg-red-100 text-red-900',
  failure: 'bg-red-100 text-red-900',
  broken: 'bg-red-100 text-red-900',
  critical: 'bg-red-100 text-red-900',
  high: 'bg-orange-100 text-orange-900',
  medium: 'bg-amber-100 text-amber-900',
  low: 'bg-slate-100 text-slate-700',
};

export function Badge({ children }: { children: string }) {
  return <span className={`inline-block rounded px-2 py-0.5 text-xs ${tone[children] ?? 'bg-slate-100 text-slate-700'}`}>{children}</span>;
}

/** Newer / Older over keyset pages: `pages` is the stack of cursors that led to the current page. */
export function Pager({ pages, next, setPages }: { pages: string[]; next: string | null; setPages: (f: (p: string[]) => string[]) => void }) {
  return (
    <div className="mt-3 flex gap-2">
      <button type="button" disabled={pages.length === 0} onClick={() => setPages((p) => p.slice(0, -1))} className={button}>
        Newer
      </button>
      <button type="button" disabled={!next} onClick={() => next && setPages((p) => [...p, next])} className={button}>
        Older
      </button>
    </div>
  );
}

export function PageTitle({ id, children, aside }: { id: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-end gap-3">
      <h1 id={id} className="mr-auto text-2xl font-semibold">
        {children}
      </h1>
      {aside}
    </div>
  );
}

/** Expiry choices, in seconds. */
export const EXPIRIES: { label: string; seconds: number }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '24 hours', seconds: 86_400 },
  { label: '7 days', seconds: 604_800 },
  { label: '30 days', seconds: 2_592_000 },
];
