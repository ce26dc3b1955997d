'use client';

import type { UseFormRegisterReturn } from 'react-hook-form';
import { EVENT_GROUPS } from './webhook-api';

/**
 * The event types an endpoint receives, as checkboxes: every type (`*`), every type of a group
 * (`decision.*`), or single types (docs/events.md). One name for all of them, so the form's value is
 * the list of the checked ones.
 */
export function EventTypePicker({ id, field, error }: { id: string; field: UseFormRegisterReturn; error?: string | undefined }) {
  const errorId = `${id}-error`;
  return (
    <fieldset className="min-w-0" aria-describedby={error ? errorId : `${id}-hint`} aria-invalid={Boolean(error)}>
      <legend className="text-sm font-medium">Event types</legend>
      <p id={`${id}-hint`} className="text-xs text-slate-600">
        Choose every type, whole groups (new types of a group are sent too), or single types.
      </p>
      <label className="mt-2 flex items-center gap-2 text-sm">
        <input type="checkbox" value="*" {...field} />
        <span>
          Every event type <code className="text-xs text-slate-600">*</code>
        </span>
      </label>
      <div className="mt-2 grid gap-3 sm:grid-cols-2">
        {EVENT_GROUPS.map((group) => (
          <div key={group.prefix} role="group" aria-label={`${group.prefix} events`} className="min-w-0 rounded border border-slate-200 p-2">
            <label className="flex items-center gap-2 text-sm font-medium">
              <input type="checkbox" value={`${group.prefix}.*`} {...field} />
              <span className="wrap-anywhere">
                All {group.prefix} events <code className="text-xs font-normal text-slate-600">{group.prefix}.*</code>
              </span>
            </label>
            <ul className="mt-1 space-y-0.5 pl-5">
              {group.types.map((type) => (
                <li key={type}>
                  <label className="flex items-center gap-2 text-sm">
                    <input type="checkbox" value={type} {...field} />
                    <code className="wrap-anywhere text-xs">{type}</code>
                  </label>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
      {error && (
        <p id={errorId} className="mt-1 text-xs text-red-800">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** An endpoint's event types for reading: `*` said in words. */
export function eventTypesText(types: readonly string[]): string {
  return types.map((t) => (t === '*' ? 'every event type' : t)).join(', ');
}
