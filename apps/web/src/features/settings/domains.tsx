'use client';

import { claimDomainSchema } from '@aim/contracts';
import { Trash2 } from 'lucide-react';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { CopyValue, NoticeLine, ReadOnlyNote, type Notice } from '@/components/organization-parts';
import { useCan } from '@/components/session';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';

type Domain = components['schemas']['Domain'];

export function Domains() {
  const can = useCan();
  const manage = can.has('domain.manage');
  const [notice, setNotice] = useState<Notice>(null);
  const [failures, setFailures] = useState<Record<string, string>>({});
  const [checking, setChecking] = useState<string | null>(null);
  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/domains'],
    topics: ['domain'],
    fetch: async () => must(await api.GET('/api/v1/domains')).domains,
  });

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
    await refresh();
  };
  const release = async (d: Domain) => {
    const { error: e } = await api.DELETE('/api/v1/domains/{domain}', { params: { path: { domain: d.domain } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `${d.domain} was released.` });
    await refresh();
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
            void refresh();
          }}
        />
      )}
      <NoticeLine notice={notice} />
      <Resource query={{ data: rows, error, retry }} what="domains" empty={<>No claimed domains.</>}>
        {(rows) => (
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
                    <p className="mb-1 text-xs text-slate-700">
                      Publish this DNS TXT record at your DNS provider, then verify. DNS changes can take a while to show.
                    </p>
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
      </Resource>
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
