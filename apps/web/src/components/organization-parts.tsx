'use client';

import { ROLES, roleAtLeast, type Role } from '@aim/contracts';
import { Copy } from 'lucide-react';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Button } from './ui/button';
import { Input } from './ui/input';
import { cn } from '@/lib/utils';

/**
 * Pieces shared by the organization pages (/members/, /api-keys/, /settings/): a value with a Copy
 * button, a secret shown once, and a notice line for the result of an action.
 */

/** The roles at or below `mine`, strongest first (an API key or an invitation never outranks its creator). */
export function rolesUpTo(mine: Role | null): Role[] {
  return mine ? ROLES.filter((r) => roleAtLeast(mine, r)) : [];
}

/** A read-only value with a Copy button; `label` names it for screen readers. */
export function CopyValue({ id, label, value, className }: { id: string; label: string; value: string; className?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className={className}>
      <div className="flex min-w-0 gap-2">
        <label htmlFor={id} className="sr-only">
          {label}
        </label>
        <Input id={id} readOnly value={value} onFocus={(e) => e.target.select()} className="min-w-0 flex-1 font-mono text-xs" />
        <Button variant="outline" onClick={() => void copy()} aria-label={`Copy ${label.toLowerCase()}`}>
          <Copy aria-hidden />
          Copy
        </Button>
      </div>
      <p aria-live="polite" className="mt-0.5 text-xs text-slate-600">
        {copied === true ? 'Copied to the clipboard.' : copied === false ? 'Could not copy: select the text and copy it by hand.' : ''}
      </p>
    </div>
  );
}

/** A secret the server returns once (a new API key): copy it now, it is never shown again. */
export function ShownOnce({
  title,
  label,
  value,
  children,
  dismiss,
  warning = 'This is shown only once: copy it now. AIM keeps only a hash and cannot show it again.',
}: {
  title: string;
  label: string;
  value: string;
  children?: ReactNode;
  dismiss: () => void;
  /** What to say about it being shown once (AIM keeps a hash of an API key, an encrypted webhook secret). */
  warning?: string;
}) {
  // Focus moves to the new secret, so keyboard and screen-reader users learn it is there.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div role="region" aria-labelledby="shown-once-title" className="mt-4 rounded border border-emerald-300 bg-emerald-50 p-4 text-sm">
      <h2 id="shown-once-title" ref={heading} tabIndex={-1} className="font-semibold">
        {title}
      </h2>
      <p className="mb-2 font-medium text-slate-800">{warning}</p>
      {children}
      <CopyValue id="shown-once-value" label={label} value={value} />
      <Button variant="outline" onClick={dismiss} className="mt-1">
        Done
      </Button>
    </div>
  );
}

/** The outcome of the last action on a page: a status line, or an alert when it failed. */
export type Notice = { ok: boolean; text: string } | null;

export function NoticeLine({ notice }: { notice: Notice }) {
  if (!notice) return null;
  return notice.ok ? (
    <p role="status" className="mb-3 rounded border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900">
      {notice.text}
    </p>
  ) : (
    <p role="alert" className="mb-3 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
      {notice.text}
    </p>
  );
}

/** A read-only note that explains why a section has no controls for this role. */
export function ReadOnlyNote({ children }: { children: ReactNode }) {
  return <p className="mb-3 text-xs text-slate-600">{children}</p>;
}

/**
 * A table that is a table from the md breakpoint up and a stack of blocks below it (each row a block,
 * each cell a "label value" line), so a phone sees every column, the actions included, without scrolling.
 */
export const stacked = {
  table: 'block w-full text-left text-sm md:table',
  head: 'hidden border-b border-slate-200 text-xs uppercase text-slate-600 md:table-header-group',
  th: 'whitespace-nowrap py-2 pr-3 font-semibold',
  body: 'block divide-y divide-slate-100 md:table-row-group',
  row: 'block py-2 md:table-row md:align-top',
};

/**
 * A list's table: a table from md up, stacked cards below it (each Cell carries its label). `actions`
 * adds a last column, named for screen readers only, for the row's buttons.
 */
export function StackedTable({ columns, actions = false, children }: { columns: readonly string[]; actions?: boolean; children: ReactNode }) {
  return (
    <table className={stacked.table}>
      <thead className={stacked.head}>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col" className={stacked.th}>
              {column}
            </th>
          ))}
          {actions && (
            <th scope="col" className={stacked.th}>
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody className={stacked.body}>{children}</tbody>
    </table>
  );
}

export function Cell({ label, className, children }: { label?: string; className?: string; children: ReactNode }) {
  return (
    <td className={cn('flex min-w-0 items-baseline gap-2 py-0.5 md:table-cell md:py-2 md:pr-3', className)}>
      {label && (
        <span aria-hidden className="w-24 shrink-0 text-xs text-slate-600 md:hidden">
          {label}
        </span>
      )}
      <div className="min-w-0 wrap-anywhere md:wrap-normal">{children}</div>
    </td>
  );
}
