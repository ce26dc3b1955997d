'use client';

import { RISK_LEVELS, createCapabilitySchema, updateCapabilitySchema } from '@aim/contracts';
import { Pencil, Plus, Search, Trash2 } from 'lucide-react';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { useCapabilityCatalog } from '@/data/catalog';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useReturnFocus } from '@/components/focus';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog, Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { Input, Select, Textarea } from '@/components/ui/input';

type Capability = components['schemas']['Capability'];
type Risk = Capability['riskLevel'];

/**
 * The capability catalog: what agents may be granted. Everyone reads it; holders of capability.manage
 * add entries, change their description and risk level, and remove entries that were never granted
 * or requested (the server refuses the others with 409 capability_in_use, since grants are history).
 */
export function Catalog() {
  const can = useCan();
  const mayManage = can.has('capability.manage');
  const [query, setQuery] = useState('');
  const [risk, setRisk] = useState<Risk | ''>('');
  const [creating, setCreating] = useState(false);
  const newButton = useReturnFocus(creating);

  const { data: rows, error, retry, refresh } = useCapabilityCatalog();

  // The API answers the whole catalog; searching and filtering happen here.
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (rows ?? []).filter((c) => (!risk || c.riskLevel === risk) && (!q || c.name.includes(q) || (c.description ?? '').toLowerCase().includes(q)));
  }, [rows, query, risk]);

  return (
    <section aria-labelledby="capabilities-title" className="min-w-0">
      <PageTitle
        id="capabilities-title"
        aside={
          mayManage && !creating ? (
            <Button ref={newButton} onClick={() => setCreating(true)}>
              <Plus aria-hidden /> New capability
            </Button>
          ) : null
        }
      >
        Capabilities
      </PageTitle>
      <p className="mb-4 max-w-3xl text-sm text-slate-700">
        The organization’s catalog of actions agents may be granted, named <code>resource:action</code>. An action outside the catalog is always denied. The
        risk level decides which approval and trust policies apply; a change applies to the next decision. Resource patterns are set per grant (on an agent’s
        page), not on the catalog entry.
        {!mayManage && ' Your role reads the catalog; managers and admins change it.'}
      </p>

      {mayManage && creating && (
        <CreateCapability
          onDone={(created) => {
            setCreating(false);
            if (created) void refresh();
          }}
        />
      )}

      <div role="search" className="mb-3 mt-4 flex flex-wrap items-end gap-3">
        <div className="flex min-w-0 flex-1 flex-col gap-1">
          <label htmlFor="capability-search" className="text-sm font-medium">
            Search
          </label>
          <div className="relative min-w-0">
            <Search className="pointer-events-none absolute left-2 top-1/2 size-4 -translate-y-1/2 text-slate-400" aria-hidden />
            <Input
              id="capability-search"
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="Name or description"
              className="w-full pl-7"
            />
          </div>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="capability-risk" className="text-sm font-medium">
            Risk level
          </label>
          <Select id="capability-risk" value={risk} onChange={(e) => setRisk(e.target.value as Risk | '')}>
            <option value="">Any</option>
            {RISK_LEVELS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Select>
        </div>
      </div>

      <Resource
        query={{ data: rows, error, retry }}
        what="the catalog"
        empty={
          mayManage ? 'The catalog is empty. Add the first capability with “New capability”.' : 'The catalog is empty: a manager or admin adds capabilities.'
        }
      >
        {(rows) =>
          shown.length === 0 ? (
            <Empty>No capability matches the search and filter.</Empty>
          ) : (
            <>
              <p className="mb-2 text-xs text-slate-600" aria-live="polite">
                {shown.length === rows.length ? '' : `${shown.length} of `}
                {rows.length} {rows.length === 1 ? 'capability' : 'capabilities'}
              </p>
              <ul className="divide-y divide-slate-100 rounded border border-slate-200 bg-white" aria-label="Capabilities">
                {shown.map((c) => (
                  <CapabilityRow key={c.id} capability={c} mayManage={mayManage} onChange={() => void refresh()} />
                ))}
              </ul>
            </>
          )
        }
      </Resource>
    </section>
  );
}

function CapabilityRow({ capability: c, mayManage, onChange }: { capability: Capability; mayManage: boolean; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const remove = async () => {
    const { error } = await api.DELETE('/api/v1/capabilities/{capabilityId}', { params: { path: { capabilityId: c.id } } });
    if (error) return errorMessage(error);
    onChange();
  };
  return (
    <li data-capability={c.name} className="flex flex-wrap items-start gap-x-4 gap-y-2 px-3 py-3 text-sm">
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          <code className="font-semibold break-all">{c.name}</code>
          <span data-testid="risk">
            <Badge>{c.riskLevel}</Badge>
          </span>
        </div>
        <p className="mt-1 text-slate-700 wrap-anywhere" data-testid="description">
          {c.description ?? <span className="text-slate-500">No description</span>}
        </p>
        <p className="mt-1 text-xs text-slate-500">
          Added {when(c.createdAt)}
          {c.updatedAt !== c.createdAt && ` · changed ${when(c.updatedAt)}`}
        </p>
      </div>
      {mayManage && (
        <div className="flex flex-wrap gap-2">
          <ConfirmDialog
            trigger={
              <Button variant="outline" size="sm" aria-label={`Delete ${c.name}`}>
                <Trash2 aria-hidden /> Delete
              </Button>
            }
            title={`Delete ${c.name}?`}
            description={
              <>
                Only a capability that was never granted or requested can leave the catalog. If any agent holds or held a grant of it, or asked for it, AIM
                refuses and keeps it (grants and requests are history): revoke its grants on the agents’ pages instead. Once deleted, agents asking for{' '}
                <code>{c.name}</code> are denied as outside the catalog.
              </>
            }
            confirmLabel="Delete capability"
            onConfirm={remove}
          />
          <EditCapability
            capability={c}
            open={editing}
            onOpenChange={setEditing}
            onSaved={onChange}
            trigger={
              <Button variant="outline" size="sm" aria-label={`Edit ${c.name}`}>
                <Pencil aria-hidden /> Edit
              </Button>
            }
          />
        </div>
      )}
    </li>
  );
}

function CreateCapability({ onDone }: { onDone: (created: boolean) => void }) {
  const form = useSchemaForm(createCapabilitySchema, { defaultValues: { name: '', riskLevel: 'low' } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/capabilities', { body });
    if (!data) return failWith(form, error);
    onDone(true);
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-capability-title" className="rounded border border-slate-200 bg-white p-4">
      <h2 id="create-capability-title" className="mb-3 text-lg font-semibold">
        New capability
      </h2>
      <div className="grid gap-4 sm:grid-cols-[2fr_1fr]">
        <Field
          id="capability-name"
          label="Name"
          hint="resource:action in lower case, e.g. payments:refund. It cannot be changed later."
          error={formState.errors.name?.message}
        >
          {(aria) => <Input {...aria} autoFocus autoComplete="off" placeholder="payments:refund" {...register('name')} />}
        </Field>
        <Field id="capability-risk-level" label="Risk level" error={formState.errors.riskLevel?.message}>
          {(aria) => <RiskSelect aria={aria} register={register('riskLevel')} />}
        </Field>
        <Field id="capability-description" label="Description (optional)" error={formState.errors.description?.message} className="sm:col-span-2">
          {(aria) => <Textarea {...aria} rows={2} {...register('description', blank)} />}
        </Field>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <Button type="submit" disabled={formState.isSubmitting}>
          {formState.isSubmitting ? 'Adding…' : 'Add capability'}
        </Button>
        <Button variant="outline" onClick={() => onDone(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function RiskSelect({ aria, register }: { aria: object; register: object }) {
  return (
    <Select {...aria} {...register}>
      {RISK_LEVELS.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </Select>
  );
}

function EditCapability({
  capability: c,
  open,
  onOpenChange,
  onSaved,
  trigger,
}: {
  capability: Capability;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onSaved: () => void;
  /** The button that opens it (focus returns to it when the dialog closes). */
  trigger: ReactNode;
}) {
  const form = useSchemaForm(updateCapabilitySchema, { defaultValues: { description: c.description ?? '', riskLevel: c.riskLevel } });
  const { register, handleSubmit, formState, reset } = form;
  useEffect(() => {
    if (open) reset({ description: c.description ?? '', riskLevel: c.riskLevel });
  }, [open, c.description, c.riskLevel, reset]);
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.PATCH('/api/v1/capabilities/{capabilityId}', { params: { path: { capabilityId: c.id } }, body });
    if (!data) return failWith(form, error);
    onOpenChange(false);
    onSaved();
  });
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>{trigger}</DialogTrigger>
      <DialogContent>
        <DialogTitle>Edit {c.name}</DialogTitle>
        <DialogDescription>The name cannot change. A new risk level applies to the next decision.</DialogDescription>
        <form onSubmit={(e) => void submit(e)} noValidate className="space-y-3">
          <Field id={`edit-${c.id}-risk`} label="Risk level" error={formState.errors.riskLevel?.message}>
            {(aria) => <RiskSelect aria={aria} register={register('riskLevel')} />}
          </Field>
          <Field id={`edit-${c.id}-description`} label="Description" hint="Empty removes the description." error={formState.errors.description?.message}>
            {(aria) => <Textarea {...aria} rows={3} {...register('description', { setValueAs: (v: unknown) => (v === '' ? null : v) })} />}
          </Field>
          <FormAlert form={form} />
          <div className="flex flex-wrap justify-end gap-2">
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={formState.isSubmitting}>
              {formState.isSubmitting ? 'Saving…' : 'Save changes'}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
