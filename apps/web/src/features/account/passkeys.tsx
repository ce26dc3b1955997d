'use client';

import { renamePasskeySchema } from '@aim/contracts';
import { startRegistration } from '@simplewebauthn/browser';
import { KeyRound } from 'lucide-react';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { passkeyPromptMessage } from '@/components/passkey';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';

type Passkey = components['schemas']['Passkey'];

export function Passkeys() {
  const [renaming, setRenaming] = useState<string | null>(null);

  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/me/passkeys'],
    topics: ['passkey'],
    fetch: async () => must(await api.GET('/api/v1/me/passkeys')).passkeys,
  });

  const remove = async (p: Passkey) => {
    const { error: e } = await api.DELETE('/api/v1/me/passkeys/{passkeyId}', { params: { path: { passkeyId: p.id } } });
    if (e) return errorMessage(e);
    await refresh();
  };

  return (
    <Card aria-labelledby="passkeys-title">
      <CardTitle id="passkeys-title">Passkeys</CardTitle>
      <CardDescription>
        Passkeys sign you in to AIM without a password. Keep more than one, on different devices, so losing one does not lock you out.
      </CardDescription>
      <Resource
        query={{ data: rows, error, retry }}
        what="your passkeys"
        empty={<>No passkeys yet: you sign in through your identity provider. Add one below.</>}
      >
        {(rows) => (
          <ul className="divide-y divide-slate-100 text-sm" aria-label="Your passkeys">
            {rows.map((p) => (
              <li key={p.id} data-passkey-id={p.id} className="py-3">
                <div className="flex flex-wrap items-start gap-x-4 gap-y-2">
                  <KeyRound className="mt-0.5 size-4 shrink-0 text-slate-500" aria-hidden />
                  <div className="min-w-0 flex-1">
                    <div className="font-medium wrap-anywhere" data-testid="passkey-name">
                      {p.name}
                    </div>
                    <div className="mt-1 text-xs text-slate-600">
                      {p.deviceType === 'multiDevice' ? 'Synced passkey (multi-device)' : 'Single-device passkey'} ·{' '}
                      {p.backedUp ? 'backed up' : 'not backed up'} · added {when(p.createdAt)} · last used {p.lastUsedAt ? when(p.lastUsedAt) : 'never'}
                    </div>
                  </div>
                  <div className="flex flex-wrap gap-2">
                    <Button variant="outline" size="sm" aria-label={`Rename passkey ${p.name}`} onClick={() => setRenaming(renaming === p.id ? null : p.id)}>
                      Rename
                    </Button>
                    <ConfirmDialog
                      trigger={
                        <Button variant="outline" size="sm" aria-label={`Delete passkey ${p.name}`}>
                          Delete
                        </Button>
                      }
                      title={`Delete the passkey “${p.name}”?`}
                      description={
                        rows.length === 1
                          ? 'This is your only passkey. AIM removes it only if you can also sign in through an identity provider; otherwise add another passkey first.'
                          : 'You can no longer sign in with it. Your sessions stay open.'
                      }
                      confirmLabel="Delete passkey"
                      onConfirm={() => remove(p)}
                    />
                  </div>
                </div>
                {renaming === p.id && (
                  <RenamePasskey
                    passkey={p}
                    done={async () => {
                      setRenaming(null);
                      await refresh();
                    }}
                    cancel={() => setRenaming(null)}
                  />
                )}
              </li>
            ))}
          </ul>
        )}
      </Resource>
      <AddPasskey onAdded={() => refresh()} />
    </Card>
  );
}

function RenamePasskey({ passkey, done, cancel }: { passkey: Passkey; done: () => Promise<void>; cancel: () => void }) {
  const form = useSchemaForm(renamePasskeySchema, { defaultValues: { name: passkey.name } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { error } = await api.PATCH('/api/v1/me/passkeys/{passkeyId}', { params: { path: { passkeyId: passkey.id } }, body });
    if (error) return failWith(form, error);
    await done();
  });
  const id = `rename-${passkey.id}`;
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label={`Rename ${passkey.name}`} className="mt-2 flex flex-wrap items-end gap-2 sm:pl-8">
      <Field id={id} label="New name" error={formState.errors.name?.message} className="w-full sm:w-64">
        {(aria) => <Input {...aria} {...register('name')} autoFocus />}
      </Field>
      <Button type="submit" size="sm" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Saving…' : 'Save name'}
      </Button>
      <Button variant="outline" size="sm" onClick={cancel}>
        Cancel
      </Button>
      <div className="w-full">
        <FormAlert form={form} />
      </div>
    </form>
  );
}

function AddPasskey({ onAdded }: { onAdded: () => Promise<void> }) {
  // The name is checked by the same rules as registration's (registerPasskeySchema's name is renamePasskeySchema's).
  const form = useSchemaForm(renamePasskeySchema, { defaultValues: { name: '' } });
  const { register, handleSubmit, formState } = form;
  const [added, setAdded] = useState<string | null>(null);

  const submit = handleSubmit(async ({ name }) => {
    setAdded(null);
    const options = await api.POST('/api/v1/me/passkeys/options');
    if (!options.data) return failWith(form, options.error);
    let credential: unknown;
    try {
      credential = await startRegistration({ optionsJSON: options.data as never });
    } catch (e) {
      return failWith(form, { error: { code: 'webauthn', message: passkeyPromptMessage(e, true) } });
    }
    const { data, error } = await api.POST('/api/v1/me/passkeys', { body: { name, credential: credential as never } });
    if (!data) return failWith(form, error);
    form.reset({ name: '' });
    setAdded(data.name);
    await onAdded();
  });

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="add-passkey-title" className="mt-4 border-t border-slate-100 pt-4">
      <h3 id="add-passkey-title" className="mb-2 font-medium">
        Add a passkey
      </h3>
      <div className="flex flex-wrap items-end gap-2">
        <Field
          id="passkey-name"
          label="Passkey name"
          hint="For you to tell them apart, e.g. Work laptop"
          error={formState.errors.name?.message}
          className="w-full sm:w-72"
        >
          {(aria) => <Input {...aria} {...register('name')} placeholder="Work laptop" />}
        </Field>
        <Button type="submit" disabled={formState.isSubmitting} className="mb-5">
          {formState.isSubmitting ? 'Waiting for your device…' : 'Add passkey'}
        </Button>
      </div>
      <FormAlert form={form} />
      <p aria-live="polite" className="text-sm text-emerald-800">
        {added ? `Passkey “${added}” added.` : ''}
      </p>
    </form>
  );
}
