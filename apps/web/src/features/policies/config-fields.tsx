'use client';

import { RISK_LEVELS, policyConfigSchemas, type PolicyType } from '@aim/contracts';
import { Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { get, useFieldArray } from 'react-hook-form';
import { Field } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Input, Select, Textarea } from '@/components/ui/input';
import { DAYS, TYPE_HELP, TYPE_LABEL, clean } from '@/features/policies/policy-model';
import { Loose, StringList, errorAt, loose, optionalNumber } from '@/features/policies/scope-fields';

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
        <Field
          id={`${prefix}-json`}
          label="Settings as JSON"
          hint="Checked against the same schema as the form before it replaces the settings."
          error={jsonError ?? undefined}
        >
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
                  {(aria) => (
                    <Input {...aria} type="number" inputMode="decimal" min={0} max={100} step="any" {...register(`config.minimums.${r}`, optionalNumber)} />
                  )}
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
