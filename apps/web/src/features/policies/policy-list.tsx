'use client';

import { POLICY_MODES, POLICY_TYPES, type PolicyType } from '@aim/contracts';
import { Plus } from 'lucide-react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { useAgentNames } from '@/components/agent-names';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { ConfigFields } from '@/features/policies/config-fields';
import {
  EVALUATION_ORDER,
  MODE_HELP,
  TYPE_LABEL,
  clean,
  configDefaults,
  createPolicyFormSchema,
  scopeSummary,
  JSON_OPEN,
} from '@/features/policies/policy-model';
import { ScopeFields } from '@/features/policies/scope-fields';
import { useReturnFocus } from '@/components/focus';
import { useCan } from '@/components/session';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { Empty } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input, Select, Textarea } from '@/components/ui/input';

type Policy = components['schemas']['Policy'];

/** The organization's policies (latest versions). Everyone reads them; holders of policy.manage create them. */
export function PolicyList() {
  const can = useCan();
  const mayManage = can.has('policy.manage');
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [type, setType] = useState<PolicyType | ''>('');
  const [mode, setMode] = useState<Policy['mode'] | ''>('');
  const [creating, setCreating] = useState(false);
  const newButton = useReturnFocus(creating);

  const {
    data: rows,
    error,
    retry,
  } = useApiQuery({
    key: ['/api/v1/policies', { includeDeleted }],
    topics: ['policy'],
    fetch: async () => must(await api.GET('/api/v1/policies', { params: { query: includeDeleted ? { includeDeleted: 'true' } : {} } })).policies,
  });

  const names = useAgentNames((rows ?? []).flatMap((p) => p.scope.agentIds ?? []));

  // The API filters only deleted policies in or out; type and mode are filtered here.
  const shown = useMemo(() => (rows ?? []).filter((p) => (!type || p.type === type) && (!mode || p.mode === mode)), [rows, type, mode]);

  return (
    <section aria-labelledby="policies-title" className="min-w-0">
      <PageTitle
        id="policies-title"
        aside={
          mayManage && !creating ? (
            <Button ref={newButton} onClick={() => setCreating(true)}>
              <Plus aria-hidden /> New policy
            </Button>
          ) : null
        }
      >
        Policies
      </PageTitle>
      <div className="mb-4 max-w-3xl space-y-1 text-sm text-slate-700">
        <p>
          Policies refine the base rule (an agent needs a grant for the action). Policies have no priority: for each decision the engine takes the enabled
          policies whose scope matches, by type in this order: {EVALUATION_ORDER.map((t) => TYPE_LABEL[t].toLowerCase()).join(', ')}; within a type by id. Any
          deny wins, then any approval (the decision waits for a person), otherwise the action is allowed.
        </p>
        <p>{MODE_HELP.monitor}</p>
        {!mayManage && <p>Your role reads policies; managers and admins change them.</p>}
      </div>

      {mayManage && creating && <CreatePolicy onCancel={() => setCreating(false)} />}

      <div role="search" aria-label="Filter policies" className="mb-3 mt-4 flex flex-wrap items-end gap-3">
        <div className="flex flex-col gap-1">
          <label htmlFor="policy-filter-type" className="text-sm font-medium">
            Type
          </label>
          <Select id="policy-filter-type" value={type} onChange={(e) => setType(e.target.value as PolicyType | '')}>
            <option value="">Any</option>
            {POLICY_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABEL[t]}
              </option>
            ))}
          </Select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="policy-filter-mode" className="text-sm font-medium">
            Mode
          </label>
          <Select id="policy-filter-mode" value={mode} onChange={(e) => setMode(e.target.value as Policy['mode'] | '')}>
            <option value="">Any</option>
            {POLICY_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </Select>
        </div>
        <label className="flex items-center gap-2 pb-1 text-sm">
          <input type="checkbox" checked={includeDeleted} onChange={(e) => setIncludeDeleted(e.target.checked)} />
          Show deleted policies
        </label>
      </div>

      <Resource
        query={{ data: rows, error, retry }}
        what="policies"
        empty={mayManage ? 'No policies yet: only the base rule applies. Create one with “New policy”.' : 'No policies yet: only the base rule applies.'}
      >
        {(rows) =>
          shown.length === 0 ? (
            <Empty>No policy matches the filters.</Empty>
          ) : (
            <div className="rounded border border-slate-200 bg-white px-3">
              <StackedTable columns={['Name', 'Type', 'Mode', 'State', 'Scope', 'Version', 'Updated']}>
                  {shown.map((p) => (
                    <tr key={p.id} data-policy-id={p.id} className={stacked.row}>
                      <Cell label="Name">
                        <Link href={`/policies/detail/?id=${p.id}`} className="font-medium text-brand underline-offset-2 hover:underline">
                          {p.name}
                        </Link>
                        {p.description && <div className="max-w-xs truncate text-xs text-slate-500">{p.description}</div>}
                      </Cell>
                      <Cell label="Type">{TYPE_LABEL[p.type]}</Cell>
                      <Cell label="Mode">
                        <span data-testid="mode">
                          <Badge>{p.mode}</Badge>
                        </span>
                      </Cell>
                      <Cell label="State">{p.deletedAt ? <Badge>deleted</Badge> : p.enabled ? 'enabled' : 'disabled (not evaluated)'}</Cell>
                      <Cell label="Scope" className="text-xs md:max-w-xs">
                        {scopeSummary(p.scope, names)}
                      </Cell>
                      <Cell label="Version">{p.version}</Cell>
                      <Cell label="Updated" className="text-xs">
                        {when(p.updatedAt)}
                      </Cell>
                    </tr>
                  ))}
                </StackedTable>
            </div>
          )
        }
      </Resource>
    </section>
  );
}

function CreatePolicy({ onCancel }: { onCancel: () => void }) {
  const router = useRouter();
  const form = useSchemaForm(createPolicyFormSchema, {
    defaultValues: { name: '', type: 'require_approval', mode: 'enforce', enabled: true, scope: {}, config: configDefaults('require_approval') },
  });
  const { register, handleSubmit, formState, watch, setValue, clearErrors } = form;
  const type = watch('type');
  const typeField = register('type');

  const [editingJson, setEditingJson] = useState(false);
  const submit = handleSubmit(async (values) => {
    if (editingJson) return failWith(form, JSON_OPEN);
    const body = { ...values, scope: clean(values.scope), config: clean(values.config) };
    const { data, error } = await api.POST('/api/v1/policies', { body });
    if (!data) return failWith(form, error);
    router.push(`/policies/detail/?id=${data.policy.id}`);
  });

  return (
    <form
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="create-policy-title"
      className="min-w-0 space-y-4 rounded border border-slate-200 bg-white p-4"
    >
      <h2 id="create-policy-title" className="text-lg font-semibold">
        New policy
      </h2>
      <div className="grid min-w-0 gap-4 sm:grid-cols-2">
        <Field id="policy-name" label="Name" hint="Unique in the organization." error={formState.errors.name?.message}>
          {(aria) => <Input {...aria} autoFocus autoComplete="off" {...register('name')} />}
        </Field>
        <Field id="policy-type" label="Type" hint="Fixed once created." error={formState.errors.type?.message}>
          {(aria) => (
            <Select
              {...aria}
              {...typeField}
              onChange={(e) => {
                void typeField.onChange(e);
                const next = e.target.value as PolicyType;
                setValue('config', configDefaults(next));
                clearErrors('config');
              }}
            >
              {POLICY_TYPES.map((t) => (
                <option key={t} value={t}>
                  {TYPE_LABEL[t]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field id="policy-description" label="Description (optional)" error={formState.errors.description?.message} className="sm:col-span-2">
          {(aria) => <Textarea {...aria} rows={2} {...register('description', blank)} />}
        </Field>
      </div>
      <ConfigFields key={type} form={form} type={type} prefix="create" onEditingJson={setEditingJson} />
      <ScopeFields form={form} prefix="create" />
      <fieldset className="min-w-0">
        <legend className="text-sm font-medium">Mode</legend>
        <div className="mt-1 space-y-1">
          {POLICY_MODES.map((m) => (
            <label key={m} className="flex items-start gap-2 text-sm">
              <input type="radio" value={m} className="mt-1" {...register('mode')} />
              <span>{MODE_HELP[m]}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" {...register('enabled')} />
        Enabled (a disabled policy is not evaluated)
      </label>
      <FormAlert form={form} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Creating…' : 'Create policy'}
        </Button>
        <Button variant="outline" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
