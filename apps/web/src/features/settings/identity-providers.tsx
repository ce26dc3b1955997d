'use client';

import { createIdentityProviderSchema, updateIdentityProviderSchema } from '@aim/contracts';
import { Trash2 } from 'lucide-react';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { CopyValue, NoticeLine, ReadOnlyNote, type Notice } from '@/components/organization-parts';
import { useCan } from '@/components/session';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog, Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';

type Provider = components['schemas']['OrganizationIdentityProvider'];

const PRESETS = [
  { value: 'google', label: 'Google' },
  { value: 'microsoft', label: 'Microsoft Entra ID' },
  { value: 'okta', label: 'Okta' },
  { value: 'oidc', label: 'Another OpenID Connect provider' },
] as const;

export function IdentityProviders() {
  const can = useCan();
  const manage = can.has('identity_provider.manage');
  const [notice, setNotice] = useState<Notice>(null);
  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/identity-providers'],
    topics: ['identity_provider'],
    fetch: async () => must(await api.GET('/api/v1/identity-providers')).identityProviders,
  });

  const setEnabled = async (p: Provider, enabled: boolean) => {
    const { data, error: e } = await api.PATCH('/api/v1/identity-providers/{identityProviderId}', {
      params: { path: { identityProviderId: p.id } },
      body: { enabled },
    });
    setNotice(data ? { ok: true, text: `${p.displayName} is ${enabled ? 'enabled' : 'disabled'}.` } : { ok: false, text: errorMessage(e) });
    await refresh();
  };
  const remove = async (p: Provider) => {
    const { error: e } = await api.DELETE('/api/v1/identity-providers/{identityProviderId}', { params: { path: { identityProviderId: p.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `${p.displayName} was removed; people can no longer sign in with it.` });
    await refresh();
  };

  return (
    <Card aria-labelledby="idp-title">
      <CardTitle id="idp-title">Identity providers</CardTitle>
      <CardDescription>Let your people sign in with your organization’s own Google, Microsoft, Okta or OpenID Connect provider.</CardDescription>
      {!manage && <ReadOnlyNote>Only admins add or change identity providers.</ReadOnlyNote>}
      {manage && (
        <AddProvider
          onAdded={(p) => {
            setNotice({ ok: true, text: `${p.displayName} was added. Register its redirect URI at the provider, then share its sign-in URL.` });
            void refresh();
          }}
        />
      )}
      <NoticeLine notice={notice} />
      <Resource
        query={{ data: rows, error, retry }}
        what="identity providers"
        empty={<>No identity providers of your own yet: people sign in with a passkey or the providers AIM is configured with.</>}
      >
        {(rows) => (
          <ul className="flex flex-col gap-3">
            {rows.map((p) => (
              <li key={p.id} data-provider-id={p.id} className="rounded border border-slate-200 p-3 text-sm">
                <div className="mb-2 flex flex-wrap items-center gap-2">
                  <h3 className="mr-auto font-semibold break-all">{p.displayName}</h3>
                  <Badge>{PRESETS.find((x) => x.value === p.preset)?.label ?? p.preset}</Badge>
                  <Badge>{p.enabled ? 'active' : 'disabled'}</Badge>
                </div>
                <dl className="mb-2 grid gap-x-3 gap-y-1 text-xs sm:grid-cols-[auto_1fr]">
                  <dt className="font-medium text-slate-700">Issuer</dt>
                  <dd className="break-all font-mono">{p.issuer}</dd>
                  <dt className="font-medium text-slate-700">Client id</dt>
                  <dd className="break-all font-mono">{p.clientId}</dd>
                  <dt className="font-medium text-slate-700">Client secret</dt>
                  <dd>stored encrypted, never shown</dd>
                  <dt className="font-medium text-slate-700">Added</dt>
                  <dd>{when(p.createdAt)}</dd>
                </dl>
                <p className="text-xs font-medium text-slate-700">Redirect URI to register at the provider</p>
                <CopyValue id={`redirect-${p.id}`} label={`Redirect URI of ${p.displayName}`} value={p.redirectUri} />
                <p className="text-xs font-medium text-slate-700">Sign-in URL to share with your people</p>
                <CopyValue id={`signin-${p.id}`} label={`Sign-in URL of ${p.displayName}`} value={p.signInUrl} />
                {manage && (
                  <div className="mt-2 flex flex-wrap gap-2">
                    <Button variant="outline" size="sm" onClick={() => void setEnabled(p, !p.enabled)}>
                      {p.enabled ? `Disable ${p.displayName}` : `Enable ${p.displayName}`}
                    </Button>
                    <RotateSecret provider={p} onRotated={() => setNotice({ ok: true, text: `The client secret of ${p.displayName} was replaced.` })} />
                    <ConfirmDialog
                      trigger={
                        <Button variant="outline" size="sm" aria-label={`Delete ${p.displayName}`}>
                          <Trash2 aria-hidden />
                          Delete
                        </Button>
                      }
                      title={`Delete ${p.displayName}?`}
                      description="People can no longer sign in with it; their accounts and memberships stay."
                      confirmLabel="Delete provider"
                      onConfirm={() => remove(p)}
                    />
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </Resource>
    </Card>
  );
}

/** The server's schema, plus the rule it applies per preset: an issuer for okta and oidc, a tenant for microsoft. */
const providerSchema = createIdentityProviderSchema.superRefine((v, ctx) => {
  if ((v.preset === 'okta' || v.preset === 'oidc') && !v.issuer)
    ctx.addIssue({ code: 'custom', path: ['issuer'], message: `an issuer URL is required for ${v.preset}` });
  if (v.preset === 'microsoft' && !v.tenant) ctx.addIssue({ code: 'custom', path: ['tenant'], message: 'a tenant id or domain is required for Microsoft' });
});

function AddProvider({ onAdded }: { onAdded: (p: Provider) => void }) {
  const form = useSchemaForm(providerSchema, { defaultValues: { preset: 'oidc', clientId: '', clientSecret: '' } });
  const { register, handleSubmit, formState, watch } = form;
  const preset = watch('preset');
  const submit = handleSubmit(async (v) => {
    const body = {
      preset: v.preset,
      clientId: v.clientId,
      clientSecret: v.clientSecret,
      ...(v.displayName ? { displayName: v.displayName } : {}),
      ...((v.preset === 'okta' || v.preset === 'oidc') && v.issuer ? { issuer: v.issuer } : {}),
      ...(v.preset === 'microsoft' && v.tenant ? { tenant: v.tenant } : {}),
    };
    const { data, error } = await api.POST('/api/v1/identity-providers', { body });
    if (!data) return failWith(form, error);
    form.reset();
    onAdded(data);
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Add an identity provider" className="mb-4 rounded border border-slate-200 p-3">
      <h3 className="mb-2 font-semibold">Add a provider</h3>
      <div className="grid gap-3 sm:grid-cols-2">
        <Field id="idp-preset" label="Provider" error={formState.errors.preset?.message}>
          {(aria) => (
            <Select {...aria} {...register('preset')}>
              {PRESETS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field id="idp-name" label="Display name" hint="On the sign-in button; the provider’s name if empty." error={formState.errors.displayName?.message}>
          {(aria) => <Input {...aria} {...register('displayName', blank)} />}
        </Field>
        {(preset === 'okta' || preset === 'oidc') && (
          <Field
            id="idp-issuer"
            label="Issuer URL"
            hint="AIM loads its discovery document (/.well-known/openid-configuration) before adding it."
            error={formState.errors.issuer?.message}
          >
            {(aria) => (
              <Input
                {...aria}
                type="url"
                placeholder={preset === 'okta' ? 'https://acme.okta.com' : 'https://sso.acme.example'}
                {...register('issuer', blank)}
              />
            )}
          </Field>
        )}
        {preset === 'microsoft' && (
          <Field id="idp-tenant" label="Tenant" hint="Your tenant id or domain." error={formState.errors.tenant?.message}>
            {(aria) => <Input {...aria} placeholder="acme.onmicrosoft.com" {...register('tenant', blank)} />}
          </Field>
        )}
        <Field id="idp-client-id" label="Client id" error={formState.errors.clientId?.message}>
          {(aria) => <Input {...aria} autoComplete="off" {...register('clientId')} />}
        </Field>
        <Field id="idp-client-secret" label="Client secret" hint="Stored encrypted; never shown again." error={formState.errors.clientSecret?.message}>
          {(aria) => <Input {...aria} type="password" autoComplete="new-password" {...register('clientSecret')} />}
        </Field>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Checking the provider…' : 'Add provider'}
      </Button>
    </form>
  );
}

function RotateSecret({ provider, onRotated }: { provider: Provider; onRotated: () => void }) {
  const [open, setOpen] = useState(false);
  const form = useSchemaForm(updateIdentityProviderSchema, { defaultValues: { clientSecret: '' } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (v) => {
    if (!v.clientSecret) return form.setError('clientSecret', { message: 'enter the new client secret' });
    const { data, error } = await api.PATCH('/api/v1/identity-providers/{identityProviderId}', {
      params: { path: { identityProviderId: provider.id } },
      body: { clientSecret: v.clientSecret },
    });
    if (!data) return failWith(form, error);
    form.reset({ clientSecret: '' });
    setOpen(false);
    onRotated();
  });
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        form.reset({ clientSecret: '' });
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" aria-label={`Rotate secret of ${provider.displayName}`}>
          Rotate secret
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>Replace the client secret of {provider.displayName}</DialogTitle>
        <DialogDescription>Create a new secret at the provider and paste it here; AIM uses it from the next sign-in on.</DialogDescription>
        <form onSubmit={(e) => void submit(e)} noValidate className="flex flex-col gap-3">
          <Field id={`rotate-${provider.id}`} label="New client secret" error={formState.errors.clientSecret?.message}>
            {(aria) => <Input {...aria} type="password" autoComplete="new-password" {...register('clientSecret', blank)} />}
          </Field>
          <FormAlert form={form} />
          <Button type="submit" className="self-end" disabled={formState.isSubmitting}>
            {formState.isSubmitting ? 'Saving…' : 'Replace secret'}
          </Button>
        </form>
      </DialogContent>
    </Dialog>
  );
}
