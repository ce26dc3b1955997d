'use client';

import { createInvitationSchema, type Role } from '@aim/contracts';
import { UserPlus } from 'lucide-react';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { must, useApiQuery } from '@/data/query';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { NoticeLine, ShownOnce, rolesUpTo, type Notice } from '@/components/organization-parts';
import { useCan } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';

type Invitation = components['schemas']['Invitation'];
type CreatedInvitation = components['schemas']['CreatedInvitation'];

function invitationState(i: Invitation): string {
  if (i.revokedAt) return 'revoked';
  if (i.acceptedAt) return 'accepted';
  if (new Date(i.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'pending';
}

export function Invitations() {
  const can = useCan();
  const [notice, setNotice] = useState<Notice>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const readable = can.has('invitation.read');

  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/invitations'],
    topics: ['invitation', 'user'],
    enabled: readable,
    fetch: async () => must(await api.GET('/api/v1/invitations')).invitations,
  });

  const revoke = async (i: Invitation) => {
    const { error: e } = await api.DELETE('/api/v1/invitations/{invitationId}', { params: { path: { invitationId: i.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `The invitation of ${i.email} was revoked; its link no longer works.` });
    setCreated((shown) => (shown?.id === i.id ? null : shown));
    await refresh();
  };

  return (
    <Card aria-labelledby="invitations-title">
      <CardTitle id="invitations-title">Invitations</CardTitle>
      {can.has('member.invite') && (
        <InviteForm
          onInvited={(i) => {
            setNotice({ ok: true, text: `${i.email} is invited as ${i.role}.` });
            setCreated(i);
            void refresh();
          }}
        />
      )}
      <NoticeLine notice={notice} />
      {created && (
        <div className="mb-4">
          <ShownOnce title={`Invitation link for ${created.email}`} label="Invitation link" value={created.link} dismiss={() => setCreated(null)}>
            <p className="mb-2 text-slate-700">
              AIM mailed them this single-use link (without a mail server configured, it is written to the server log). You can also send it yourself. It
              expires on {when(created.expiresAt)}.
            </p>
          </ShownOnce>
        </div>
      )}
      {!can.has('invitation.read') ? null : error ? (
        <Failed message={error} retry={retry} />
      ) : rows === null ? (
        <Loading what="invitations" />
      ) : rows.length === 0 ? (
        <Empty>No invitations yet.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 rounded border border-slate-200">
          {rows.map((i) => {
            const state = invitationState(i);
            return (
              <li key={i.id} data-invitation-id={i.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2 text-sm">
                <div className="min-w-0 flex-1">
                  <div className="font-medium break-all">{i.email}</div>
                  <div className="text-xs text-slate-600">
                    as {i.role} · invited {when(i.createdAt)} ·{' '}
                    {state === 'accepted'
                      ? `accepted ${when(i.acceptedAt)}`
                      : state === 'revoked'
                        ? `revoked ${when(i.revokedAt)}`
                        : `${state === 'expired' ? 'expired' : 'expires'} ${when(i.expiresAt)}`}
                  </div>
                </div>
                <Badge>{state}</Badge>
                {state === 'pending' && can.has('invitation.revoke') && (
                  <ConfirmDialog
                    trigger={
                      <Button variant="outline" size="sm" aria-label={`Revoke the invitation of ${i.email}`}>
                        Revoke
                      </Button>
                    }
                    title={`Revoke the invitation of ${i.email}?`}
                    description="The link in their invitation stops working. You can invite them again later."
                    confirmLabel="Revoke invitation"
                    onConfirm={() => revoke(i)}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

function InviteForm({ onInvited }: { onInvited: (i: CreatedInvitation) => void }) {
  const can = useCan();
  const roles = rolesUpTo(can.role);
  const form = useSchemaForm(createInvitationSchema, { defaultValues: { email: '', role: 'viewer' } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.POST('/api/v1/invitations', { body });
    if (!data) return failWith(form, error);
    form.reset({ email: '', role: body.role });
    onInvited(data);
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Invite someone" className="mb-4 rounded border border-slate-200 p-3">
      <CardDescription>
        Invite a person by email. With the link they join with a passkey, or sign in with that address through an identity provider; the invitation works once.
      </CardDescription>
      <div className="flex flex-wrap items-start gap-3">
        <Field id="invite-email" label="Email" error={formState.errors.email?.message} className="min-w-48 flex-1">
          {(aria) => <Input {...aria} type="email" autoComplete="off" placeholder="grace@acme.example" {...register('email')} />}
        </Field>
        <Field id="invite-role" label="Role" error={formState.errors.role?.message}>
          {(aria) => (
            <Select {...aria} {...register('role')}>
              {roles.map((r: Role) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          )}
        </Field>
      </div>
      <div className="mt-3">
        <FormAlert form={form} />
      </div>
      <Button type="submit" className="mt-3" disabled={formState.isSubmitting}>
        <UserPlus aria-hidden />
        {formState.isSubmitting ? 'Inviting…' : 'Send invitation'}
      </Button>
    </form>
  );
}
