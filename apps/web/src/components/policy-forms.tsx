'use client';

import { POLICY_TYPES, RISK_LEVELS, createPolicySchema, policyConfigSchemas, updatePolicySchema, type PolicyType } from '@aim/contracts';
import { Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { get, useController, useFieldArray, type FieldValues, type UseFormReturn } from 'react-hook-form';
import type { z } from 'zod';
import { Field } from './form';
import { Button } from './ui/button';
import { Input, Select, Textarea } from './ui/input';

/**
 * The pieces the policy pages share: what each policy type does (in the words of docs/authorization.md
 * and the engine), one small sub-form per type's `config`, the scope editor, and the request schemas
 * with each type's own config schema added (createPolicySchema alone accepts any object as `config`).
 */

export const TYPE_LABEL: Record<PolicyType, string> = {
  capability_required: 'Capability required',
  resource_deny: 'Resource deny',
  time_window: 'Time window',
  rate_limit: 'Rate limit',
  require_approval: 'Require approval',
  data_volume: 'Data volume',
  min_trust: 'Minimum trust',
};

export const TYPE_HELP: Record<PolicyType, string> = {
  capability_required:
    'The base rule (an agent needs an unexpired grant covering the resource) always applies. This policy only sets its mode: when every applicable capability-required policy is in monitor mode, a missing grant is flagged instead of denied, for rolling AIM out without breaking agents. It has no settings.',
  resource_deny: 'Denies an action when its resource matches one of the patterns.',
  time_window: 'Denies actions outside every window (local time in the time zone; start ≤ time < end).',
  rate_limit:
    'Denies once more than the limit of decisions for the same agent and action fall in one fixed window. Every decision that reaches this policy counts, whatever its answer.',
  require_approval: 'Makes the decision pending (a person approves or rejects it) when the action’s risk is at least the minimum.',
  data_volume: 'Reads a number from the request’s context: above the maximum (or not a number) is denied or waits for approval.',
  min_trust: 'Denies when the agent’s trust score is below the minimum for the action’s risk.',
};

/** Policies have no priority: the engine takes them by type, in this order, then by id. */
export const EVALUATION_ORDER: PolicyType[] = ['resource_deny', 'time_window', 'rate_limit', 'data_volume', 'min_trust', 'require_approval'];

export const MODE_HELP = {
  enforce: 'Enforce: the policy decides. A deny blocks the action (and records a violation); an approval makes the decision wait for a person.',
  monitor:
    'Monitor: the policy is evaluated and its reason recorded with every decision, but what it would have decided becomes a flag: it never blocks, never makes a decision wait, and records no violation.',
} as const;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Starting values when a type is chosen (suggestions the person can change; numbers start empty). */
export function configDefaults(type: PolicyType): Record<string, unknown> {
  switch (type) {
    case 'capability_required':
      return {};
    case 'resource_deny':
      return { resources: [''] };
    case 'time_window':
      return { timezone: browserTimeZone(), windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] };
    case 'rate_limit':
      return { limit: undefined, windowSeconds: undefined };
    case 'require_approval':
      return { minRisk: 'high' };
    case 'data_volume':
      return { field: '', max: undefined, effect: 'deny', whenMissing: 'ignore' };
    case 'min_trust':
      return { minimums: {}, whenUnscored: 'require_approval' };
  }
}

function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Drops keys whose value is undefined (an empty optional box), as JSON would: `{ low: undefined }` is `{}`. */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, clean(v)])) as T;
  }
  return value;
}

function checkConfig(type: PolicyType, config: unknown, ctx: z.RefinementCtx) {
  const parsed = policyConfigSchemas[type].safeParse(clean(config ?? {}));
  if (parsed.success) return;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['config', ...issue.path] });
}

/** createPolicySchema, with the chosen type's config schema applied to `config`. */
export const createPolicyFormSchema = createPolicySchema.superRefine((value, ctx) => checkConfig(value.type, value.config, ctx));

/** updatePolicySchema, with the policy's (fixed) type's config schema applied to `config`. */
export function updatePolicyFormSchema(type: PolicyType) {
  return updatePolicySchema.superRefine((value, ctx) => {
    if (value.config !== undefined) checkConfig(type, value.config, ctx);
  });
}

type Loose = UseFormReturn<FieldValues>;
const loose = (form: unknown) => form as Loose;
const errorAt = (form: Loose, name: string): string | undefined => {
  const e = get(form.formState.errors, name) as { message?: string; root?: { message?: string } } | undefined;
  return e?.message ?? e?.root?.message;
};
const optionalNumber = { setValueAs: (v: unknown) => (v === '' || v === null || v === undefined ? undefined : Number(v)) };

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
                <Button variant="ghost" size="icon" aria-label={`Remove ${itemLabel.toLowerCase()} ${i + 1}`} onClick={() => set(items.filter((_, j) => j !== i))}>
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
        Every part given must match: the agent is listed, the agent carries one of the tags, an action pattern matches. Leave all three empty to apply to every agent
        and action.
      </p>
      <div className="grid min-w-0 gap-3 sm:grid-cols-3">
        <StringList form={form} name="scope.agentIds" id={`${prefix}-scope-agents`} label="Agents" itemLabel="Agent id" placeholder="agt_…" optional />
        <StringList form={form} name="scope.tags" id={`${prefix}-scope-tags`} label="Agent tags" itemLabel="Tag" placeholder="billing" optional />
        <StringList form={form} name="scope.actions" id={`${prefix}-scope-actions`} label="Actions" itemLabel="Action" placeholder="payments:*" optional />
      </div>
    </fieldset>
  );
}

/** The sub-form for one type's `config`, plus an "edit as JSON" fallback validated by the same schema. */
export function ConfigFields({
  form: anyForm,
  type,
  prefix,
  onEditingJson,
}: {
  form: unknown;
  type: PolicyType;
  prefix: string;
  /** Told when the JSON editor opens and closes: the form must not be saved while JSON is open but not applied. */
  onEditingJson?: (editing: boolean) => void;
}) {
  const form = loose(anyForm);
  const [json, setJsonState] = useState<string | null>(null);
  const setJson = (next: string | null) => {
    setJsonState(next);
    onEditingJson?.(next !== null);
  };
  const [jsonError, setJsonError] = useState<string | null>(null);
  const applyJson = () => {
    if (json === null) return;
    try {
      const value: unknown = JSON.parse(json);
      const parsed = policyConfigSchemas[type].safeParse(value);
      if (!parsed.success) {
        setJsonError(parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; '));
        return;
      }
      form.setValue('config', value as Record<string, unknown>, { shouldDirty: true, shouldValidate: true });
      setJson(null);
      setJsonError(null);
    } catch (e) {
      setJsonError(`Not JSON: ${(e as Error).message}`);
    }
  };
  const configError = errorAt(form, 'config');
  return (
    <fieldset className="min-w-0 rounded border border-slate-200 p-3" data-config-type={type}>
      <legend className="px-1 text-sm font-semibold">Settings: {TYPE_LABEL[type]}</legend>
      <p className="mb-3 text-xs text-slate-600">{TYPE_HELP[type]}</p>
      {json === null ? (
        <TypeFields form={form} type={type} prefix={prefix} />
      ) : (
        <Field id={`${prefix}-json`} label="Settings as JSON" hint="Checked against the same schema as the form before it replaces the settings." error={jsonError ?? undefined}>
          {(aria) => <Textarea {...aria} rows={8} className="font-mono text-xs" value={json} onChange={(e) => setJson(e.target.value)} />}
        </Field>
      )}
      {configError && <p className="mt-2 text-xs text-red-800">{configError}</p>}
      {type !== 'capability_required' && (
        <div className="mt-3 flex flex-wrap gap-2">
          {json === null ? (
            <Button variant="link" size="sm" className="px-0" onClick={() => setJson(JSON.stringify(clean(form.getValues('config') ?? {}), null, 2))}>
              Advanced: edit as JSON
            </Button>
          ) : (
            <>
              <Button variant="outline" size="sm" onClick={applyJson}>
                Use this JSON
              </Button>
              <Button
                variant="ghost"
                size="sm"
                onClick={() => {
                  setJson(null);
                  setJsonError(null);
                }}
              >
                Back to the form
              </Button>
            </>
          )}
        </div>
      )}
    </fieldset>
  );
}

function TypeFields({ form, type, prefix }: { form: Loose; type: PolicyType; prefix: string }) {
  const { register } = form;
  const err = (name: string) => errorAt(form, name);
  switch (type) {
    case 'capability_required':
      return <p className="text-sm text-slate-700">No settings: choose the mode below.</p>;
    case 'resource_deny':
      return (
        <StringList
          form={form}
          name="config.resources"
          id={`${prefix}-resources`}
          label="Denied resources"
          itemLabel="Resource pattern"
          placeholder="customers/*/secrets/**"
          hint="* matches within one path segment, ** across segments; anything else is literal, and the whole resource must match."
        />
      );
    case 'time_window':
      return <TimeWindowFields form={form} prefix={prefix} />;
    case 'rate_limit':
      return (
        <div className="grid gap-3 sm:grid-cols-2">
          <Field id={`${prefix}-limit`} label="Limit (decisions)" hint="Per agent and action, in each window." error={err('config.limit')}>
            {(aria) => <Input {...aria} type="number" inputMode="numeric" min={1} {...register('config.limit', optionalNumber)} />}
          </Field>
          <Field id={`${prefix}-window`} label="Window (seconds)" hint="A fixed window: 60 is per minute, 3600 per hour." error={err('config.windowSeconds')}>
            {(aria) => <Input {...aria} type="number" inputMode="numeric" min={1} {...register('config.windowSeconds', optionalNumber)} />}
          </Field>
        </div>
      );
    case 'require_approval':
      return (
        <Field id={`${prefix}-minrisk`} label="Minimum risk" hint="Actions at or above this risk wait for a person." error={err('config.minRisk')}>
          {(aria) => (
            <Select {...aria} {...register('config.minRisk')}>
              {RISK_LEVELS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          )}
        </Field>
      );
    case 'data_volume':
      return (
        <div className="grid gap-3 sm:grid-cols-2">
          <Field id={`${prefix}-field`} label="Context field" hint="A top-level field of the request’s context, e.g. records." error={err('config.field')}>
            {(aria) => <Input {...aria} placeholder="records" {...register('config.field')} />}
          </Field>
          <Field id={`${prefix}-max`} label="Maximum" error={err('config.max')}>
            {(aria) => <Input {...aria} type="number" inputMode="decimal" min={0} step="any" {...register('config.max', optionalNumber)} />}
          </Field>
          <Field id={`${prefix}-effect`} label="Above the maximum" error={err('config.effect')}>
            {(aria) => (
              <Select {...aria} {...register('config.effect')}>
                <option value="deny">deny</option>
                <option value="require_approval">wait for approval</option>
              </Select>
            )}
          </Field>
          <Field id={`${prefix}-missing`} label="When the field is missing" error={err('config.whenMissing')}>
            {(aria) => (
              <Select {...aria} {...register('config.whenMissing')}>
                <option value="ignore">ignore (pass)</option>
                <option value="deny">deny</option>
              </Select>
            )}
          </Field>
        </div>
      );
    case 'min_trust':
      return (
        <div className="space-y-3">
          <fieldset className="min-w-0">
            <legend className="text-sm font-medium text-slate-800">Minimum trust score (0–100) by the action’s risk</legend>
            <p className="text-xs text-slate-600">Leave a level empty for no minimum at that risk; set at least one.</p>
            {err('config.minimums') && <p className="text-xs text-red-800">{err('config.minimums')}</p>}
            <div className="mt-1 grid grid-cols-2 gap-3 sm:grid-cols-4">
              {RISK_LEVELS.map((r) => (
                <Field key={r} id={`${prefix}-min-${r}`} label={r} error={err(`config.minimums.${r}`)}>
                  {(aria) => <Input {...aria} type="number" inputMode="decimal" min={0} max={100} step="any" {...register(`config.minimums.${r}`, optionalNumber)} />}
                </Field>
              ))}
            </div>
          </fieldset>
          <Field id={`${prefix}-unscored`} label="While the agent has no trust score yet" error={err('config.whenUnscored')}>
            {(aria) => (
              <Select {...aria} {...register('config.whenUnscored')}>
                <option value="require_approval">wait for approval</option>
                <option value="deny">deny</option>
                <option value="allow">allow</option>
              </Select>
            )}
          </Field>
        </div>
      );
  }
}

function TimeWindowFields({ form, prefix }: { form: Loose; prefix: string }) {
  const { register } = form;
  const windows = useFieldArray({ control: form.control, name: 'config.windows' });
  const err = (name: string) => errorAt(form, name);
  return (
    <div className="space-y-3">
      <Field id={`${prefix}-tz`} label="Time zone" hint="An IANA name such as Europe/Berlin, America/New_York or UTC." error={err('config.timezone')}>
        {(aria) => <Input {...aria} {...register('config.timezone')} />}
      </Field>
      <ol className="space-y-2">
        {windows.fields.map((w, i) => {
          const windowError = get(form.formState.errors, `config.windows.${i}`) as { message?: string } | undefined;
          return (
            <li key={w.id} className="min-w-0 rounded border border-slate-100 p-2">
              <fieldset className="min-w-0">
                <legend className="text-sm font-medium">Window {i + 1}</legend>
                <div className="mt-1 flex flex-wrap gap-x-3 gap-y-1" role="group" aria-label={`Days of window ${i + 1}`}>
                  {DAYS.map((d) => (
                    <label key={d} className="flex items-center gap-1 text-sm">
                      <input type="checkbox" value={d} {...register(`config.windows.${i}.days`)} />
                      {d}
                    </label>
                  ))}
                </div>
                {err(`config.windows.${i}.days`) && <p className="text-xs text-red-800">{err(`config.windows.${i}.days`)}</p>}
                <div className="mt-2 flex flex-wrap items-end gap-3">
                  <Field id={`${prefix}-w${i}-start`} label="From (HH:MM)" error={err(`config.windows.${i}.start`)} className="w-28">
                    {(aria) => <Input {...aria} placeholder="09:00" {...register(`config.windows.${i}.start`)} />}
                  </Field>
                  <Field id={`${prefix}-w${i}-end`} label="Until (HH:MM)" error={err(`config.windows.${i}.end`)} className="w-28">
                    {(aria) => <Input {...aria} placeholder="17:00" {...register(`config.windows.${i}.end`)} />}
                  </Field>
                  <Button variant="ghost" size="sm" aria-label={`Remove window ${i + 1}`} onClick={() => windows.remove(i)}>
                    <Trash2 aria-hidden /> Remove
                  </Button>
                </div>
                {windowError?.message && <p className="mt-1 text-xs text-red-800">{windowError.message}</p>}
              </fieldset>
            </li>
          );
        })}
      </ol>
      <p className="text-xs text-slate-600">Until may be 24:00. Split a window that crosses midnight in two.</p>
      <Button variant="outline" size="sm" onClick={() => windows.append({ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' })}>
        <Plus aria-hidden /> Add a window
      </Button>
      {err('config.windows') && <p className="text-xs text-red-800">{err('config.windows')}</p>}
    </div>
  );
}

/** A one-line summary of a scope, for lists. */
export function scopeSummary(scope: { agentIds?: string[] | undefined; tags?: string[] | undefined; actions?: string[] | undefined }, names?: Map<string, string>): string {
  const parts: string[] = [];
  if (scope.agentIds?.length) parts.push(`agents: ${scope.agentIds.map((a) => names?.get(a) ?? a).join(', ')}`);
  if (scope.tags?.length) parts.push(`tags: ${scope.tags.join(', ')}`);
  if (scope.actions?.length) parts.push(`actions: ${scope.actions.join(', ')}`);
  return parts.length ? parts.join(' · ') : 'every agent and action';
}

/** A readable value for a setting: lists joined, objects as short JSON, absent as "—". */
export function show(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map(show).join(', ') : '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Flattens settings to dotted paths (`config.windows.0.start`), for a per-field difference. */
function flatten(value: unknown, path: string, out: Map<string, unknown>) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(path, undefined);
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(value) && value.some((v) => v && typeof v === 'object')) {
    value.forEach((v, i) => flatten(v, `${path}.${i}`, out));
  } else {
    out.set(path, value);
  }
}

export interface Change {
  field: string;
  from: string;
  to: string;
}

type Settings = {
  name: string;
  description: string | null;
  mode: string;
  enabled: boolean;
  scope: unknown;
  config: unknown;
  deletedAt: string | null;
};

/** What differs between two versions' settings, field by field. */
export function diffVersions(before: Settings, after: Settings): Change[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  const pick = (v: Settings) => ({ name: v.name, description: v.description, mode: v.mode, enabled: v.enabled, scope: v.scope, config: v.config, deleted: v.deletedAt !== null });
  flatten(pick(before), '', a);
  flatten(pick(after), '', b);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => ({ field: k, from: show(a.get(k)), to: show(b.get(k)) }))
    .filter((c) => c.from !== c.to);
}

export const POLICY_TYPE_OPTIONS = POLICY_TYPES.map((t) => ({ value: t, label: TYPE_LABEL[t] }));

/** The message a policy form shows when it is saved with the JSON editor still open. */
export const JSON_OPEN = { error: { code: 'json_not_applied', message: 'The settings are open as JSON: choose "Use this JSON" or "Back to the form" before saving.' } };
