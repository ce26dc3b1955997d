'use client';

import { Plus, Trash2 } from 'lucide-react';
import { get, useController, type FieldValues, type UseFormReturn } from 'react-hook-form';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';

export type Loose = UseFormReturn<FieldValues>;

export const loose = (form: unknown) => form as Loose;
export const errorAt = (form: Loose, name: string): string | undefined => {
  const e = get(form.formState.errors, name) as { message?: string; root?: { message?: string } } | undefined;
  return e?.message ?? e?.root?.message;
};
export const optionalNumber = { setValueAs: (v: unknown) => (v === '' || v === null || v === undefined ? undefined : Number(v)) };

/**
 * A list of text values (patterns, tags, agent ids): one box per value, with add and remove buttons.
 * `optional`: an empty list means "not given" (scope fields), not an empty list.
 */
export function StringList({
  form: anyForm,
  name,
  id,
  label,
  itemLabel,
  hint,
  placeholder,
  optional = false,
}: {
  form: unknown;
  name: string;
  id: string;
  label: string;
  itemLabel: string;
  hint?: string;
  placeholder?: string;
  optional?: boolean;
}) {
  const form = loose(anyForm);
  const { field } = useController({ control: form.control, name });
  const items: string[] = Array.isArray(field.value) ? (field.value as string[]) : [];
  const set = (next: string[]) => field.onChange(optional && next.length === 0 ? undefined : next);
  const rootError = errorAt(form, name);
  return (
    <fieldset className="min-w-0" aria-describedby={hint ? `${id}-hint` : undefined}>
      <legend className="text-sm font-medium text-slate-800">{label}</legend>
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-slate-600">
          {hint}
        </p>
      )}
      <ul className="mt-1 space-y-1">
        {items.map((value, i) => {
          const itemError = errorAt(form, `${name}.${i}`);
          return (
            <li key={i} className="min-w-0">
              <div className="flex min-w-0 gap-1">
                <Input
                  id={`${id}-${i}`}
                  aria-label={`${itemLabel} ${i + 1}`}
                  aria-invalid={Boolean(itemError)}
                  aria-describedby={itemError ? `${id}-${i}-error` : undefined}
                  value={value}
                  placeholder={placeholder}
                  onChange={(e) => set(items.map((v, j) => (j === i ? e.target.value : v)))}
                  onBlur={field.onBlur}
                  className="min-w-0 flex-1"
                />
                <Button
                  variant="ghost"
                  size="icon"
                  aria-label={`Remove ${itemLabel.toLowerCase()} ${i + 1}`}
                  onClick={() => set(items.filter((_, j) => j !== i))}
                >
                  <Trash2 aria-hidden />
                </Button>
              </div>
              {itemError && (
                <p id={`${id}-${i}-error`} className="text-xs text-red-800">
                  {itemError}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <Button variant="outline" size="sm" className="mt-1" onClick={() => set([...items, ''])}>
        <Plus aria-hidden /> Add {itemLabel.toLowerCase()}
      </Button>
      {rootError && <p className="mt-1 text-xs text-red-800">{rootError}</p>}
    </fieldset>
  );
}

/** Which agents, tags and actions the policy applies to; every field given must match. */
export function ScopeFields({ form, prefix }: { form: unknown; prefix: string }) {
  return (
    <fieldset className="min-w-0 rounded border border-slate-200 p-3">
      <legend className="px-1 text-sm font-semibold">Scope</legend>
      <p className="mb-2 text-xs text-slate-600">
        Every part given must match: the agent is listed, the agent carries one of the tags, an action pattern matches. Leave all three empty to apply to every
        agent and action.
      </p>
      <div className="grid min-w-0 gap-3 sm:grid-cols-3">
        <StringList form={form} name="scope.agentIds" id={`${prefix}-scope-agents`} label="Agents" itemLabel="Agent id" placeholder="agt_…" optional />
        <StringList form={form} name="scope.tags" id={`${prefix}-scope-tags`} label="Agent tags" itemLabel="Tag" placeholder="billing" optional />
        <StringList form={form} name="scope.actions" id={`${prefix}-scope-actions`} label="Actions" itemLabel="Action" placeholder="payments:*" optional />
      </div>
    </fieldset>
  );
}
