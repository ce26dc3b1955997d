'use client';

import type { PolicyType } from '@aim/contracts';
import { Pencil, Trash2 } from 'lucide-react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useMemo, useState, type ReactNode } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useApiQuery } from '@/data/query';
import { useAgentNames } from '@/components/agent-names';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { ConfigFields } from '@/features/policies/config-fields';
import { MODE_HELP, TYPE_HELP, TYPE_LABEL, clean, diffVersions, scopeSummary, show, updatePolicyFormSchema, JSON_OPEN } from '@/features/policies/policy-model';
import { ScopeFields } from '@/features/policies/scope-fields';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Textarea } from '@/components/ui/input';

type Policy = components['schemas']['Policy'];
type Version = components['schemas']['PolicyVersionList']['versions'][number];

interface Loaded {
  policy: Policy;
  versions: Version[];
  /** Who made changes: people by user id, API keys by id (only the keys the reader may list). */
  people: Map<string, string>;
  keys: Map<string, string>;
}

/** One policy: its settings, edit form, mode switch, deletion and version history. */
export function PolicyDetailView() {
  return (
    <Suspense fallback={<Loading what="the policy" />}>
      <PolicyDetail />
    </Suspense>
  );
}

function PolicyDetail() {
  const id = useSearchParams().get('id') ?? '';
  const can = useCan();
  const mayManage = can.has('policy.manage');
  const [editing, setEditing] = useState(false);

  const fetchAll = async (): Promise<Loaded> => {
    const path = { params: { path: { policyId: id } } };
    const [policy, versions, members, keys] = await Promise.all([
      api.GET('/api/v1/policies/{policyId}', path),
      api.GET('/api/v1/policies/{policyId}/versions', path),
      api.GET('/api/v1/members'),
      api.GET('/api/v1/api-keys'),
    ]);
    if (!policy.data) throw new Error(errorMessage(policy.error));
    if (!versions.data) throw new Error(errorMessage(versions.error));
    return {
      policy: policy.data.policy,
      versions: [...versions.data.versions].sort((a, b) => b.version - a.version),
      people: new Map((members.data?.members ?? []).map((m) => [m.user.id, m.user.name])),
      keys: new Map((keys.data?.apiKeys ?? []).map((k) => [k.id, k.name])),
    };
  };

  const { data, error, retry, refresh } = useApiQuery({ key: ['policy-page', id], topics: ['policy'], enabled: id !== '', fetch: fetchAll });

  if (!id)
    return (
      <Empty>
        No policy chosen.{' '}
        <Link href="/policies/" className="underline">
          Back to the policies
        </Link>
        .
      </Empty>
    );
  if (error) return <Failed message={error} retry={retry} />;
  if (!data) return <Loading what="the policy" />;
  const { policy } = data;
  const deleted = policy.deletedAt !== null;
  const controls = mayManage && !deleted;

  return (
    <section aria-labelledby="policy-title" className="min-w-0 space-y-6">
      <div>
        <Link href="/policies/" className="text-sm text-slate-600 underline">
          ← Policies
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-3">
          <h1 id="policy-title" className="mr-auto text-2xl font-semibold wrap-anywhere">
            {policy.name}
          </h1>
          <span data-testid="policy-mode">
            <Badge>{policy.mode}</Badge>
          </span>
          {deleted && <Badge>deleted</Badge>}
        </div>
        {deleted && (
          <p role="note" className="mt-2 rounded border border-slate-300 bg-slate-50 p-3 text-sm">
            This policy was deleted {when(policy.deletedAt)}: it no longer applies, and it cannot be changed. Its history is kept below.
          </p>
        )}
      </div>

      {controls && (
        <div className="flex flex-wrap gap-2" role="group" aria-label="Policy actions">
          <ModeSwitch policy={policy} onChange={refresh} />
          {!editing && (
            <Button variant="outline" onClick={() => setEditing(true)}>
              <Pencil aria-hidden /> Edit policy
            </Button>
          )}
          <ConfirmDialog
            trigger={
              <Button variant="outline">
                <Trash2 aria-hidden /> Delete policy
              </Button>
            }
            title={`Delete ${policy.name}?`}
            description="The policy stops applying from the next decision. Deleting makes a last version marked deleted; the history stays readable, and decisions already made still name the versions they used. A deleted policy cannot be restored: create a new one instead."
            confirmLabel="Delete policy"
            onConfirm={async () => {
              const { error: e } = await api.DELETE('/api/v1/policies/{policyId}', { params: { path: { policyId: policy.id } } });
              if (e) return errorMessage(e);
              setEditing(false);
              await refresh();
            }}
          />
        </div>
      )}

      {controls && editing ? (
        <EditPolicy
          policy={policy}
          onDone={async (saved) => {
            setEditing(false);
            if (saved) await refresh();
          }}
        />
      ) : (
        <Settings policy={policy} />
      )}

      <History versions={data.versions} people={data.people} keys={data.keys} />
    </section>
  );
}

function Card({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="wrap-anywhere">{children}</dd>
    </div>
  );
}

/** A type's config in words, from what the API returns. */
function configItems(type: PolicyType, config: Record<string, unknown>): { label: string; value: string }[] {
  const c = config as Record<string, never>;
  switch (type) {
    case 'capability_required':
      return [];
    case 'resource_deny':
      return [{ label: 'Denied resources', value: show(c.resources) }];
    case 'time_window': {
      const windows = (c.windows ?? []) as { days?: string[]; start?: string; end?: string }[];
      return [
        { label: 'Time zone', value: show(c.timezone) },
        ...windows.map((w, i) => ({ label: `Window ${i + 1}`, value: `${show(w.days)} · ${show(w.start)}–${show(w.end)}` })),
      ];
    }
    case 'rate_limit':
      return [
        { label: 'Limit', value: `${show(c.limit)} decisions per agent and action` },
        { label: 'Window', value: `${show(c.windowSeconds)} seconds` },
      ];
    case 'require_approval':
      return [{ label: 'Minimum risk', value: show(c.minRisk) }];
    case 'data_volume':
      return [
        { label: 'Context field', value: show(c.field) },
        { label: 'Maximum', value: show(c.max) },
        { label: 'Above the maximum', value: c.effect === 'require_approval' ? 'wait for approval' : show(c.effect) },
        { label: 'When the field is missing', value: show(c.whenMissing) },
      ];
    case 'min_trust': {
      const minimums = (c.minimums ?? {}) as Record<string, number | undefined>;
      return [
        ...(['low', 'medium', 'high', 'critical'] as const).map((r) => ({ label: `Minimum at ${r} risk`, value: show(minimums[r]) })),
        { label: 'While unscored', value: c.whenUnscored === 'require_approval' ? 'wait for approval' : show(c.whenUnscored) },
      ];
    }
  }
}

function Settings({ policy }: { policy: Policy }) {
  const names = useAgentNames(policy.scope.agentIds ?? []);
  return (
    <Card id="settings-title" title="Settings">
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Item label="Type">
          {TYPE_LABEL[policy.type]} <span className="text-xs text-slate-500">({policy.type})</span>
        </Item>
        <Item label="Mode">{policy.mode}</Item>
        <Item label="State">{policy.enabled ? 'enabled' : 'disabled: not evaluated'}</Item>
        <Item label="Version">{policy.version}</Item>
        <Item label="Description">{policy.description ?? '—'}</Item>
        <Item label="Scope">
          <span data-testid="policy-scope">{scopeSummary(policy.scope, names)}</span>
        </Item>
        {configItems(policy.type, policy.config).map((i) => (
          <Item key={i.label} label={i.label}>
            <span data-config-item={i.label}>{i.value}</span>
          </Item>
        ))}
        <Item label="Created">{when(policy.createdAt)}</Item>
        <Item label="Last changed">{when(policy.updatedAt)}</Item>
        <Item label="Policy id">
          <code className="text-xs">{policy.id}</code>
        </Item>
      </dl>
      <p className="mt-3 text-xs text-slate-600">{TYPE_HELP[policy.type]}</p>
      <p className="mt-1 text-xs text-slate-600">{MODE_HELP[policy.mode]}</p>
    </Card>
  );
}

function ModeSwitch({ policy, onChange }: { policy: Policy; onChange: () => Promise<void> }) {
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

function EditPolicy({ policy, onDone }: { policy: Policy; onDone: (saved: boolean) => Promise<void> }) {
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
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="edit-policy-title" className="min-w-0 space-y-4 rounded border border-slate-200 bg-white p-4">
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

function History({ versions, people, keys }: { versions: Version[]; people: Map<string, string>; keys: Map<string, string> }) {
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
                        <code className="font-semibold">{c.field}</code>: <del className="text-red-800">{c.from}</del> → <ins className="text-emerald-800 no-underline">{c.to}</ins>
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
