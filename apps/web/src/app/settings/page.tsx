'use client';

import { claimDomainSchema, createIdentityProviderSchema, updateIdentityProviderSchema, updateOrganizationSchema } from '@aim/contracts';
import { Plus, Trash2, X } from 'lucide-react';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useLatest } from '@/components/latest';
import { useLive } from '@/components/live';
import { CopyValue, NoticeLine, ReadOnlyNote, type Notice } from '@/components/organization-parts';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog, Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';

type Organization = components['schemas']['Organization'];
type Provider = components['schemas']['OrganizationIdentityProvider'];
type Domain = components['schemas']['Domain'];

/** The organization's settings, its identity providers and its claimed email domains. */
export default function Settings() {
  return (
    <section aria-labelledby="settings-title">
      <PageTitle id="settings-title">Settings</PageTitle>
      <div className="flex flex-col gap-6">
        <OrganizationSettings />
        <IdentityProviders />
        <Domains />
      </div>
    </section>
  );
}

/* ------------------------------------------------------------------ organization */

function OrganizationSettings() {
  const can = useCan();
  const [org, setOrg] = useState<Organization | null>(null);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async (quiet = false) => {
    if (!quiet) {
      setError(null);
      setOrg(null);
    }
    const { data, error: e } = await api.GET('/api/v1/organization');
    if (!data) return quiet ? undefined : setError(errorMessage(e));
    setOrg(data);
  }, []);
  useEffect(() => void load(), [load]);
  useLive(['organization'], () => void load(true));

  return (
    <Card aria-labelledby="org-title">
      <CardTitle id="org-title">Organization</CardTitle>
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : org === null ? (
        <Loading what="the organization" />
      ) : can.has('organization.update') ? (
        <OrganizationForm
          key={JSON.stringify(org)}
          org={org}
          saved={saved}
          onSaved={(next) => {
            setSaved(true);
            setOrg(next);
          }}
          onEdit={() => setSaved(false)}
        />
      ) : (
        <>
          <ReadOnlyNote>Only admins change these settings.</ReadOnlyNote>
          <dl className="grid gap-x-4 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
            <dt className="font-medium text-slate-700">Name</dt>
            <dd className="break-words">{org.name}</dd>
            <dt className="font-medium text-slate-700">Audit retention</dt>
            <dd>{org.auditRetentionDays === null ? 'Kept forever' : `${org.auditRetentionDays} days`}</dd>
            <dt className="font-medium text-slate-700">Approval timeout</dt>
            <dd>{duration(org.approvalTimeoutSeconds)}</dd>
            <dt className="font-medium text-slate-700">Low-risk capabilities</dt>
            <dd>{org.autoApproveLowRiskCapabilities ? 'Granted at self-registration without a person' : 'Wait for a person'}</dd>
            <dt className="font-medium text-slate-700">Agent token audiences</dt>
            <dd className="break-all">{org.agentTokenAudiences.length ? org.agentTokenAudiences.join(', ') : 'None besides AIM'}</dd>
            <dt className="font-medium text-slate-700">Created</dt>
            <dd>{when(org.createdAt)}</dd>
          </dl>
        </>
      )}
    </Card>
  );
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * Rebuilt (by its key) whenever the organization changes, here or by another admin, so it always
 * starts from the current settings; `saved` lives outside it for that reason.
 */
function OrganizationForm({
  org,
  saved,
  onSaved,
  onEdit,
}: {
  org: Organization;
  saved: boolean;
  onSaved: (o: Organization) => void;
  onEdit: () => void;
}) {
  const { reload } = useSession();
  const form = useSchemaForm(updateOrganizationSchema, {
    defaultValues: {
      name: org.name,
      auditRetentionDays: org.auditRetentionDays,
      approvalTimeoutSeconds: org.approvalTimeoutSeconds,
      autoApproveLowRiskCapabilities: org.autoApproveLowRiskCapabilities,
      agentTokenAudiences: org.agentTokenAudiences,
    },
  });
  const { register, handleSubmit, formState, setValue } = form;
  const [forever, setForever] = useState(org.auditRetentionDays === null);
  const [days, setDays] = useState(String(org.auditRetentionDays ?? 365));
  const [audiences, setAudiences] = useState<string[]>(org.agentTokenAudiences);
  const errors = formState.errors;
  const audienceErrors = errors.agentTokenAudiences as unknown as (Record<number, { message?: string }> & { message?: string }) | undefined;

  const submit = handleSubmit(async (values) => {
    onEdit();
    // Only what this person changed: a setting another admin changed meanwhile stays as they left it.
    const body = Object.fromEntries(
      Object.entries(values).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(org[key as keyof Organization])),
    ) as typeof values;
    if (Object.keys(body).length === 0) return onSaved(org);
    const { data, error } = await api.PATCH('/api/v1/organization', { body });
    if (!data) return failWith(form, error);
    onSaved(data);
    await reload();
  });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    setValue('auditRetentionDays', forever ? null : days.trim() === '' ? Number.NaN : Number(days));
    setValue('agentTokenAudiences', audiences);
    void submit(e);
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Organization settings" className="flex flex-col gap-4">
      <Field id="org-name" label="Name" error={errors.name?.message} className="max-w-md">
        {(aria) => <Input {...aria} {...register('name')} />}
      </Field>

      <fieldset className="flex flex-col gap-2">
        <legend className="mb-1 text-sm font-medium text-slate-800">Audit retention</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={forever} onChange={(e) => setForever(e.target.checked)} />
          Keep audit events forever
        </label>
        {!forever && (
          <Field id="org-retention" label="Keep audit events for (days)" hint="From 30 to 36500 days; older events are deleted." error={errors.auditRetentionDays?.message} className="max-w-xs">
            {(aria) => <Input {...aria} type="number" inputMode="numeric" min={30} max={36500} value={days} onChange={(e) => setDays(e.target.value)} />}
          </Field>
        )}
      </fieldset>

      <Field
        id="org-approval-timeout"
        label="Approval timeout (seconds)"
        hint="How long a pending decision waits for a person before it turns into deny (30 to 86400)."
        error={errors.approvalTimeoutSeconds?.message}
        className="max-w-xs"
      >
        {(aria) => <Input {...aria} type="number" inputMode="numeric" min={30} max={86400} {...register('approvalTimeoutSeconds', { valueAsNumber: true })} />}
      </Field>

      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-1" {...register('autoApproveLowRiskCapabilities')} />
        <span>
          Grant low-risk capabilities at self-registration without a person
          <span className="block text-xs text-slate-600">Capabilities of higher risk always wait for an approval.</span>
        </span>
      </label>

      <fieldset className="flex max-w-xl flex-col gap-2">
        <legend className="mb-1 text-sm font-medium text-slate-800">Agent token audiences</legend>
        <p className="text-xs text-slate-600">Services, besides AIM itself, that your agents may ask tokens for. None means AIM only.</p>
        {audiences.length === 0 && <p className="text-sm text-slate-600">No audiences besides AIM.</p>}
        {audiences.map((a, i) => (
          <div key={i} className="flex flex-col gap-1">
            <div className="flex gap-2">
              <label htmlFor={`audience-${i}`} className="sr-only">
                Audience {i + 1}
              </label>
              <Input
                id={`audience-${i}`}
                value={a}
                aria-invalid={Boolean(audienceErrors?.[i]?.message)}
                placeholder="https://api.example.com"
                className="flex-1"
                onChange={(e) => setAudiences((list) => list.map((x, j) => (j === i ? e.target.value : x)))}
              />
              <Button variant="outline" size="icon" aria-label={`Remove audience ${a || i + 1}`} onClick={() => setAudiences((list) => list.filter((_, j) => j !== i))}>
                <X aria-hidden />
              </Button>
            </div>
            {audienceErrors?.[i]?.message && <p className="text-xs text-red-800">{audienceErrors[i].message}</p>}
          </div>
        ))}
        {audienceErrors?.message && (
          <p role="alert" className="text-xs text-red-800">
            {audienceErrors.message}
          </p>
        )}
        <Button variant="outline" className="self-start" onClick={() => setAudiences((list) => [...list, ''])}>
          <Plus aria-hidden />
          Add an audience
        </Button>
      </fieldset>

      <FormAlert form={form} />
      {saved && (
        <p role="status" className="text-sm text-emerald-800">
          Saved.
        </p>
      )}
      <Button type="submit" className="self-start" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Saving…' : 'Save settings'}
      </Button>
    </form>
  );
}

/* ------------------------------------------------------------------ identity providers */

const PRESETS = [
  { value: 'google', label: 'Google' },
  { value: 'microsoft', label: 'Microsoft Entra ID' },
  { value: 'okta', label: 'Okta' },
  { value: 'oidc', label: 'Another OpenID Connect provider' },
] as const;

function IdentityProviders() {
  const can = useCan();
  const manage = can.has('identity_provider.manage');
  const latest = useLatest();
  const [rows, setRows] = useState<Provider[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const load = useCallback(
    async (quiet = false) => {
      const current = latest();
      if (!quiet) {
        setError(null);
        setRows(null);
      }
      const { data, error: e } = await api.GET('/api/v1/identity-providers');
      if (!current()) return;
      if (!data) return quiet ? undefined : setError(errorMessage(e));
      setRows(data.identityProviders);
    },
    [latest],
  );
  useEffect(() => void load(), [load]);
  useLive(['identity_provider'], () => void load(true));

  const setEnabled = async (p: Provider, enabled: boolean) => {
    const { data, error: e } = await api.PATCH('/api/v1/identity-providers/{identityProviderId}', {
      params: { path: { identityProviderId: p.id } },
      body: { enabled },
    });
    setNotice(data ? { ok: true, text: `${p.displayName} is ${enabled ? 'enabled' : 'disabled'}.` } : { ok: false, text: errorMessage(e) });
    await load(true);
  };
  const remove = async (p: Provider) => {
    const { error: e } = await api.DELETE('/api/v1/identity-providers/{identityProviderId}', { params: { path: { identityProviderId: p.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `${p.displayName} was removed; people can no longer sign in with it.` });
    await load(true);
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
            void load(true);
          }}
        />
      )}
      <NoticeLine notice={notice} />
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="identity providers" />
      ) : rows.length === 0 ? (
        <Empty>No identity providers of your own yet: people sign in with a passkey or the providers AIM is configured with.</Empty>
      ) : (
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
    </Card>
  );
}

/** The server's schema, plus the rule it applies per preset: an issuer for okta and oidc, a tenant for microsoft. */
const providerSchema = createIdentityProviderSchema.superRefine((v, ctx) => {
  if ((v.preset === 'okta' || v.preset === 'oidc') && !v.issuer) ctx.addIssue({ code: 'custom', path: ['issuer'], message: `an issuer URL is required for ${v.preset}` });
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
          <Field id="idp-issuer" label="Issuer URL" hint="AIM loads its discovery document (/.well-known/openid-configuration) before adding it." error={formState.errors.issuer?.message}>
            {(aria) => <Input {...aria} type="url" placeholder={preset === 'okta' ? 'https://acme.okta.com' : 'https://sso.acme.example'} {...register('issuer', blank)} />}
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

/* ------------------------------------------------------------------ domains */

function Domains() {
  const can = useCan();
  const manage = can.has('domain.manage');
  const latest = useLatest();
  const [rows, setRows] = useState<Domain[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [failures, setFailures] = useState<Record<string, string>>({});
  const [checking, setChecking] = useState<string | null>(null);
  const load = useCallback(
    async (quiet = false) => {
      const current = latest();
      if (!quiet) {
        setError(null);
        setRows(null);
      }
      const { data, error: e } = await api.GET('/api/v1/domains');
      if (!current()) return;
      if (!data) return quiet ? undefined : setError(errorMessage(e));
      setRows(data.domains);
    },
    [latest],
  );
  useEffect(() => void load(), [load]);
  useLive(['domain'], () => void load(true));

  const verify = async (d: Domain) => {
    setChecking(d.domain);
    setNotice(null);
    const { data, error: e } = await api.POST('/api/v1/domains/{domain}/verify', { params: { path: { domain: d.domain } } });
    setChecking(null);
    setFailures((f) => {
      const { [d.domain]: _, ...rest } = f;
      return data ? rest : { ...rest, [d.domain]: errorMessage(e) };
    });
    if (data) setNotice({ ok: true, text: `${d.domain} is verified.` });
    await load(true);
  };
  const release = async (d: Domain) => {
    const { error: e } = await api.DELETE('/api/v1/domains/{domain}', { params: { path: { domain: d.domain } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `${d.domain} was released.` });
    await load(true);
  };

  return (
    <Card aria-labelledby="domains-title">
      <CardTitle id="domains-title">Email domains</CardTitle>
      <CardDescription>
        Once a domain is verified by a DNS TXT record, people who sign in with a verified address at it join the organization with its default role.
      </CardDescription>
      {!manage && <ReadOnlyNote>Only admins claim, verify or release domains.</ReadOnlyNote>}
      {manage && (
        <ClaimDomain
          onClaimed={(d) => {
            setNotice({ ok: true, text: `${d.domain} is claimed. Publish its TXT record, then verify it.` });
            void load(true);
          }}
        />
      )}
      <NoticeLine notice={notice} />
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="domains" />
      ) : rows.length === 0 ? (
        <Empty>No claimed domains.</Empty>
      ) : (
        <ul className="flex flex-col gap-3">
          {rows.map((d) => (
            <li key={d.domain} data-domain={d.domain} className="rounded border border-slate-200 p-3 text-sm">
              <div className="mb-2 flex flex-wrap items-center gap-2">
                <h3 className="mr-auto font-semibold break-all">{d.domain}</h3>
                <span className="text-xs text-slate-600">joins as {d.defaultRole}</span>
                <Badge>{d.verified ? 'verified' : 'not verified'}</Badge>
              </div>
              {d.verified ? (
                <p className="text-xs text-slate-600">Verified {when(d.verifiedAt)}.</p>
              ) : (
                <>
                  <p className="mb-1 text-xs text-slate-700">Publish this DNS TXT record at your DNS provider, then verify. DNS changes can take a while to show.</p>
                  <p className="text-xs font-medium text-slate-700">Record name</p>
                  <CopyValue id={`txt-name-${d.domain}`} label={`TXT record name for ${d.domain}`} value={d.verification.recordName} />
                  <p className="text-xs font-medium text-slate-700">Record value</p>
                  <CopyValue id={`txt-value-${d.domain}`} label={`TXT record value for ${d.domain}`} value={d.verification.recordValue} />
                </>
              )}
              {failures[d.domain] && !d.verified && (
                <p role="alert" className="mb-2 rounded border border-red-200 bg-red-50 p-2 text-xs text-red-800">
                  Not verified: {failures[d.domain]}
                </p>
              )}
              {manage && (
                <div className="flex flex-wrap gap-2">
                  {!d.verified && (
                    <Button variant="outline" size="sm" disabled={checking === d.domain} onClick={() => void verify(d)} aria-label={`Verify ${d.domain}`}>
                      {checking === d.domain ? 'Checking DNS…' : 'Verify'}
                    </Button>
                  )}
                  <ConfirmDialog
                    trigger={
                      <Button variant="outline" size="sm" aria-label={`Release ${d.domain}`}>
                        <Trash2 aria-hidden />
                        Release
                      </Button>
                    }
                    title={`Release ${d.domain}?`}
                    description="New people with an address at it no longer join automatically; existing members stay."
                    confirmLabel="Release domain"
                    onConfirm={() => release(d)}
                  />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function ClaimDomain({ onClaimed }: { onClaimed: (d: Domain) => void }) {
  const form = useSchemaForm(claimDomainSchema, { defaultValues: { domain: '', defaultRole: 'viewer' } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/domains', { body });
    if (!data) return failWith(form, error);
    form.reset({ domain: '', defaultRole: body.defaultRole });
    onClaimed(data);
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Claim a domain" className="mb-4 rounded border border-slate-200 p-3">
      <div className="flex flex-wrap items-start gap-3">
        <Field id="domain-name" label="Domain" error={formState.errors.domain?.message} className="min-w-48 flex-1">
          {(aria) => <Input {...aria} placeholder="acme.example" autoComplete="off" {...register('domain')} />}
        </Field>
        <Field id="domain-role" label="Default role" error={formState.errors.defaultRole?.message}>
          {(aria) => (
            <Select {...aria} {...register('defaultRole')}>
              <option value="viewer">viewer</option>
              <option value="member">member</option>
              <option value="manager">manager</option>
            </Select>
          )}
        </Field>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
        {formState.isSubmitting ? 'Claiming…' : 'Claim domain'}
      </Button>
    </form>
  );
}
