'use client';

import { useId } from 'react';
import { Select } from './ui/input';

/** One choice of a filter: a value shown as itself, or a value with its label. */
export type Choice<V extends string> = V | { value: V; label: string };

/**
 * A list's filter among fixed choices, with "Any" ('') first, labelled by the text around it (the
 * lists' filter bars: agents, capability requests, audit log). A change of filter goes back to the
 * first keyset page: `onChange` is where the list does that.
 */
export function ChoiceFilter<V extends string>({
  label,
  value,
  choices,
  onChange,
}: {
  label: string;
  value: V | '';
  choices: readonly Choice<V>[];
  onChange: (value: V | '') => void;
}) {
  // Labelled by id, not by wrapping: a wrapping label's text would take in every option's text, and
  // an option such as `alert.status_changed` would make another filter answer to "Status".
  const id = useId();
  return (
    <div className="flex flex-col text-sm">
      <label htmlFor={id}>{label}</label>
      <Select id={id} value={value} onChange={(e) => onChange(e.target.value as V | '')}>
        <option value="">Any</option>
        {choices.map((c) => {
          const { value: v, label: l } = typeof c === 'string' ? { value: c, label: c } : c;
          return (
            <option key={v} value={v}>
              {l}
            </option>
          );
        })}
      </Select>
    </div>
  );
}
