'use client';

import { useMemo, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { ConfigFields } from '@/features/policies/config-fields';
import { MODE_HELP, TYPE_LABEL, clean, diffVersions, scopeSummary, updatePolicyFormSchema, JSON_OPEN } from '@/features/policies/policy-model';
import { ScopeFields } from '@/features/policies/scope-fields';
import { Empty } from '@/components/states';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Textarea } from '@/components/ui/input';
import { Card, configItems } from '@/features/policies/policy-settings';

type Policy = components['schemas']['Policy'];
type Version = components['schemas']['PolicyVersionList']['versions'][number];

export function ModeSwitch({ policy, onChange }: { policy: Policy; onChange: () => Promise<void> }) {
  const next = policy.mode === 'enforce' ? 'monitor' : 'enforce';
  const description =
    next === 'monitor'
      ? policy.type === 'capability_required'
        ? 'While every capability-required policy that applies is in monitor mode, an agent without a grant is no longer denied: the missing grant is flagged on the decision instead. Agents keep working, and you see which grants are missing.'
        : `${MODE_HELP.monitor} Agents are no longer blocked by this policy; the flagged decisions show what it would have done.`
      : policy.type === 'capability_required'
        ? 'An agent without a grant for the action is denied again, and each denial records a violation.'
        : `${MODE_HELP.enforce} Agents are blocked from the next decision on.`;
  return (
    <ConfirmDialog
      trigger={<Button variant="outline">{next === 'monitor' ? 'Switch to monitor' : 'Switch to enforce'}</Button>}
      title={next === 'monitor' ? `Monitor ${policy.name} without enforcing it?` : `Enforce ${policy.name}?`}
      description={description}
      confirmLabel={next === 'monitor' ? 'Switch to monitor' : 'Switch to enforce'}
      onConfirm={async () => {
        const { error } = await api.PATCH('/api/v1/policies/{policyId}', { params: { path: { policyId: policy.id } }, body: { mode: next } });
        if (error) return errorMessage(error);
        await onChange();
      }}
    >
      <p className="mb-3 text-xs text-slate-600">The change makes a new version ({policy.version + 1}) and applies to the next decision.</p>
    </ConfirmDialog>
  );
}

export function EditPolicy({ policy, onDone }: { policy: Policy; onDone: (saved: boolean) => Promise<void> }) {
  const schema = useMemo(() => updatePolicyFormSchema(policy.type), [policy.type]);
  const form = useSchemaForm(schema, {
    defaultValues: { name: policy.name, description: policy.description ?? '', enabled: policy.enabled, scope: policy.scope, config: policy.config },
  });
  const { register, handleSubmit, formState } = form;
  const [editingJson, setEditingJson] = useState(false);
  const submit = handleSubmit(async (values) => {
    if (editingJson) return failWith(form, JSON_OPEN);
    const body = { ...values, ...(values.scope ? { scope: clean(values.scope) } : {}), ...(values.config ? { config: clean(values.config) } : {}) };
    const { data, error } = await api.PATCH('/api/v1/policies/{policyId}', { params: { path: { policyId: policy.id } }, body });
    if (!data) return failWith(form, error);
    await onDone(true);
  });
  return (
    <form
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="edit-policy-title"
      className="min-w-0 space-y-4 rounded border border-slate-200 bg-white p-4"
    >
      <h2 id="edit-policy-title" className="text-lg font-semibold">
        Edit {TYPE_LABEL[policy.type].toLowerCase()} policy
      </h2>
      <p className="text-xs text-slate-600">Saving makes a new version; the type cannot change. The mode has its own switch above.</p>
      <div className="grid min-w-0 gap-4 sm:grid-cols-2">
        <Field id="edit-name" label="Name" error={formState.errors.name?.message}>
          {(aria) => <Input {...aria} autoComplete="off" {...register('name')} />}
        </Field>
        <label className="flex items-center gap-2 self-end pb-1 text-sm">
          <input type="checkbox" {...register('enabled')} />
          Enabled (a disabled policy is not evaluated)
        </label>
        <Field id="edit-description" label="Description" hint="Empty removes it." error={formState.errors.description?.message} className="sm:col-span-2">
          {(aria) => <Textarea {...aria} rows={2} {...register('description', { setValueAs: (v: unknown) => (v === '' ? null : v) })} />}
        </Field>
      </div>
      <ConfigFields form={form} type={policy.type} prefix="edit" onEditingJson={setEditingJson} />
      <ScopeFields form={form} prefix="edit" />
      <FormAlert form={form} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Saving…' : 'Save changes'}
        </Button>
        <Button variant="outline" onClick={() => void onDone(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

export function History({ versions, people, keys }: { versions: Version[]; people: Map<string, string>; keys: Map<string, string> }) {
  const who = (by: Version['changedBy']) => {
    if (by.type === 'user') return by.id ? (people.get(by.id) ?? by.id) : 'a person';
    if (by.type === 'api_key') return by.id ? `API key ${keys.get(by.id) ?? by.id}` : 'an API key';
    if (by.type === 'system') return 'AIM';
    return by.id ? `${by.type} ${by.id}` : by.type;
  };
  return (
    <Card id="history-title" title="Version history">
      {versions.length === 0 ? (
        <Empty>No versions recorded.</Empty>
      ) : (
        <ol className="space-y-3">
          {versions.map((v, i) => {
            const previous = versions[i + 1];
            const changes = previous ? diffVersions(previous, v) : [];
            return (
              <li key={v.version} data-version={v.version} className="min-w-0 rounded border border-slate-100 p-3 text-sm">
                <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
                  <span className="font-semibold">Version {v.version}</span>
                  <span className="text-slate-600">
                    {v.deletedAt ? 'deleted' : previous ? 'changed' : 'created'} by <span data-testid="changed-by">{who(v.changedBy)}</span>
                  </span>
                  <span className="text-xs text-slate-500">{when(v.updatedAt)}</span>
                </div>
                {!previous ? (
                  <p className="mt-1 text-xs text-slate-600 wrap-anywhere">
                    {[
                      TYPE_LABEL[v.type],
                      v.mode,
                      v.enabled ? 'enabled' : 'disabled',
                      `scope: ${scopeSummary(v.scope)}`,
                      ...configItems(v.type, v.config).map((c) => `${c.label.toLowerCase()}: ${c.value}`),
                    ].join(' · ')}
                  </p>
                ) : changes.length === 0 ? (
                  <p className="mt-1 text-xs text-slate-600">No setting changed.</p>
                ) : (
                  <ul className="mt-1 space-y-0.5" aria-label={`Changes in version ${v.version}`}>
                    {changes.map((c) => (
                      <li key={c.field} data-change={c.field} className="text-xs wrap-anywhere">
                        <code className="font-semibold">{c.field}</code>: <del className="text-red-800">{c.from}</del> →{' '}
                        <ins className="text-emerald-800 no-underline">{c.to}</ins>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}
