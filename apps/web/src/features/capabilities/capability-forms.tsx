'use client';

import { RISK_LEVELS, createCapabilitySchema, updateCapabilitySchema } from '@aim/contracts';
import { useEffect, type ReactNode } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { Input, Select, Textarea } from '@/components/ui/input';

type Capability = components['schemas']['Capability'];

export function CreateCapability({ onDone }: { onDone: (created: boolean) => void }) {
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

export function EditCapability({
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
