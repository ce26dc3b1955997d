'use client';

import { createApiKeySchema } from '@aim/contracts';
import { KeyRound } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Cell, NoticeLine, ReadOnlyNote, ShownOnce, rolesUpTo, StackedTable, stacked, type Notice } from '@/components/organization-parts';
import { useCan, useSession } from '@/components/session';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';

type ApiKey = components['schemas']['ApiKey'];
type Created = components['schemas']['CreatedApiKey'];

const DAY = 86_400_000;
const EXPIRY_CHOICES = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'date', label: 'On a date…' },
  { value: 'never', label: 'Never' },
] as const;
type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];

function stateOf(k: ApiKey): string {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
}

/** API keys: your own (admins: everyone's), created with a role at most yours and shown once. */
export function ApiKeys() {
  const can = useCan();
  const { me } = useSession();
  const [created, setCreated] = useState<Created | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const all = can.has('api_key.manage_all');

  const { data, error, retry, refresh } = useApiQuery({
    key: ['/api/v1/api-keys'],
    topics: ['api_key'],
    fetch: async () => {
      const [keys, members] = await Promise.all([api.GET('/api/v1/api-keys'), api.GET('/api/v1/members')]);
      return {
        rows: [...must(keys).apiKeys].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
        names: new Map((members.data?.members ?? []).map((m) => [m.user.id, m.user.name])),
      };
    },
  });
  const rows = data?.rows ?? null;
  const names = data?.names ?? new Map<string, string>();

  const revoke = async (k: ApiKey) => {
    const { error: e } = await api.DELETE('/api/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: k.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `The key “${k.name}” was revoked; it stopped working at once.` });
    await refresh();
  };
  const creator = (id: string) => (id === me?.user.id ? 'you' : (names.get(id) ?? id));

  return (
    <section aria-labelledby="keys-title">
      <PageTitle id="keys-title">API keys</PageTitle>
      <div className="flex flex-col gap-6">
        {can.has('api_key.create') && (
          <div>
            <CreateKey
              onCreated={(c) => {
                setCreated(c);
                setNotice(null);
                void refresh();
              }}
            />
            {created && (
              <ShownOnce title={`API key “${created.apiKey.name}” created`} label="New API key" value={created.key} dismiss={() => setCreated(null)}>
                <p className="mb-2 text-slate-700">
                  Send it as <code className="font-mono">Authorization: Bearer …</code>. It acts as {created.apiKey.role}
                  {created.apiKey.expiresAt ? ` until ${when(created.apiKey.expiresAt)}` : ' and does not expire'}.
                </p>
              </ShownOnce>
            )}
          </div>
        )}
        <Card aria-labelledby="key-list-title">
          <CardTitle id="key-list-title">{all ? 'Every key of the organization' : 'Your keys'}</CardTitle>
          {!all && <ReadOnlyNote>You see the keys you created; admins see everyone’s.</ReadOnlyNote>}
          <NoticeLine notice={notice} />
          <Resource query={{ data: rows, error, retry }} what="API keys" empty={<>No API keys yet.</>}>
            {(rows) => (
              <StackedTable columns={['Name', 'Prefix', 'Role', 'Created by', 'Created', 'Expires', 'Last used', 'Uses', 'State']} actions>
                  {rows.map((k) => {
                    const state = stateOf(k);
                    const mayRevoke = state !== 'revoked' && can.has('api_key.revoke') && (all || k.createdBy === me?.user.id);
                    return (
                      <tr key={k.id} data-api-key-id={k.id} className={stacked.row}>
                        <Cell className="font-medium">{k.name}</Cell>
                        <Cell label="Prefix">
                          <span className="font-mono text-xs">{k.prefix}…</span>
                        </Cell>
                        <Cell label="Role">{k.role}</Cell>
                        <Cell label="Created by">{creator(k.createdBy)}</Cell>
                        <Cell label="Created" className="md:whitespace-nowrap">
                          {when(k.createdAt)}
                        </Cell>
                        <Cell label="Expires" className="md:whitespace-nowrap">
                          {k.expiresAt ? when(k.expiresAt) : 'never'}
                        </Cell>
                        <Cell label="Last used" className="md:whitespace-nowrap">
                          {k.lastUsedAt ? when(k.lastUsedAt) : 'never'}
                        </Cell>
                        <Cell label="Uses" className="tabular-nums">
                          {k.useCount}
                        </Cell>
                        <Cell label="State">
                          <Badge>{state}</Badge>
                          {k.revokedAt && <span className="ml-1 text-xs text-slate-600 md:ml-0 md:block md:whitespace-nowrap">{when(k.revokedAt)}</span>}
                        </Cell>
                        <Cell>
                          {mayRevoke && (
                            <ConfirmDialog
                              trigger={
                                <Button variant="outline" size="sm" className="mt-1 md:mt-0" aria-label={`Revoke ${k.name}`}>
                                  Revoke
                                </Button>
                              }
                              title={`Revoke “${k.name}”?`}
                              description={`Anything using the key ${k.prefix}… is refused from now on, on every instance. This cannot be undone.`}
                              confirmLabel="Revoke key"
                              onConfirm={() => revoke(k)}
                            />
                          )}
                        </Cell>
                      </tr>
                    );
                  })}
                </StackedTable>
            )}
          </Resource>
        </Card>
      </div>
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated: (c: Created) => void }) {
  const can = useCan();
  const roles = rolesUpTo(can.role);
  const form = useSchemaForm(createApiKeySchema, { defaultValues: { name: '', role: can.role ?? undefined } });
  const { register, handleSubmit, formState, setValue, setError, clearErrors } = form;
  const [expiry, setExpiry] = useState<ExpiryChoice>('90');
  const [date, setDate] = useState('');
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/api-keys', { body });
    if (!data) return failWith(form, error);
    form.reset({ name: '', role: body.role });
    onCreated(data);
  });
  const today = new Date().toISOString().slice(0, 10);

  /** The expiry choice as the RFC 3339 timestamp the API takes (a date means the end of that day, here). */
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    clearErrors('expiresAt');
    if (expiry === 'never') setValue('expiresAt', undefined);
    else if (expiry === 'date') {
      const end = date ? new Date(`${date}T23:59:59`) : null;
      if (!end || Number.isNaN(end.getTime()) || end.getTime() <= Date.now()) {
        e.preventDefault();
        setError('expiresAt', { message: 'choose a day from today on' });
        return;
      }
      setValue('expiresAt', end.toISOString());
    } else setValue('expiresAt', new Date(Date.now() + Number(expiry) * DAY).toISOString());
    void submit(e);
  };

  return (
    <Card aria-labelledby="create-key-title">
      <form onSubmit={onSubmit} noValidate aria-labelledby="create-key-title">
        <CardTitle id="create-key-title">Create a key</CardTitle>
        <CardDescription>A key acts with its role, never stronger than yours ({can.role ?? '—'}). It is shown once.</CardDescription>
        <div className="flex flex-wrap items-start gap-3">
          <Field id="key-name" label="Name" error={formState.errors.name?.message} className="min-w-48 flex-1">
            {(aria) => <Input {...aria} placeholder="CI deploys" autoComplete="off" {...register('name')} />}
          </Field>
          <Field id="key-role" label="Role" error={formState.errors.role?.message}>
            {(aria) => (
              <Select {...aria} {...register('role')}>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field id="key-expiry" label="Expires" error={expiry === 'date' ? undefined : formState.errors.expiresAt?.message}>
            {(aria) => (
              <Select {...aria} value={expiry} onChange={(e) => setExpiry(e.target.value as ExpiryChoice)}>
                {EXPIRY_CHOICES.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {expiry === 'date' && (
            <Field id="key-expiry-date" label="Expiry date" hint="The key stops working at the end of that day." error={formState.errors.expiresAt?.message}>
              {(aria) => <Input {...aria} type="date" min={today} value={date} onChange={(e) => setDate(e.target.value)} />}
            </Field>
          )}
        </div>
        <div className="mt-3">
          <FormAlert form={form} />
        </div>
        <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
          <KeyRound aria-hidden />
          {formState.isSubmitting ? 'Creating…' : 'Create key'}
        </Button>
      </form>
    </Card>
  );
}
