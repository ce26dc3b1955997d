'use client';

import { updateMemberSchema } from '@aim/contracts';
import { LogOut, Trash2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { FormAlert, failWith, useSchemaForm } from '@/components/form';
import { Cell, NoticeLine, ReadOnlyNote, rolesUpTo, StackedTable, stacked, type Notice } from '@/components/organization-parts';
import { useCan, useSession } from '@/components/session';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Select } from '@/components/ui/input';

type Member = components['schemas']['Member'];

export function MemberList() {
  const can = useCan();
  const { me, reload } = useSession();
  const [notice, setNotice] = useState<Notice>(null);
  const editing = can.has('member.update_role') || can.has('member.remove') || can.has('member.revoke_sessions');

  const {
    data: rows,
    error,
    retry,
    refresh,
  } = useApiQuery({
    key: ['/api/v1/members'],
    topics: ['user', 'member', 'membership'],
    fetch: async () => [...must(await api.GET('/api/v1/members')).members].sort((a, b) => a.user.name.localeCompare(b.user.name)),
  });

  const remove = async (m: Member) => {
    const { error: e } = await api.DELETE('/api/v1/members/{userId}', { params: { path: { userId: m.user.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `${m.user.name} was removed from the organization.` });
    if (m.user.id === me?.user.id) await reload();
    await refresh();
  };
  const signOut = async (m: Member) => {
    const { data, error: e } = await api.POST('/api/v1/members/{userId}/sessions/revoke', { params: { path: { userId: m.user.id } } });
    if (!data) return errorMessage(e);
    setNotice({ ok: true, text: `${m.user.name} was signed out everywhere: ${data.revoked} ${data.revoked === 1 ? 'session' : 'sessions'} ended.` });
    // Yourself included: this browser is signed out too, and goes to the sign-in page.
    if (m.user.id === me?.user.id) await reload();
  };

  return (
    <Card aria-labelledby="member-list-title">
      <CardTitle id="member-list-title">People</CardTitle>
      {!editing && <ReadOnlyNote>Your role ({can.role ?? 'none'}) may see the members; only admins change roles or remove people.</ReadOnlyNote>}
      <NoticeLine notice={notice} />
      <Resource query={{ data: rows, error, retry }} what="members" empty={<>No members yet.</>}>
        {(rows) => (
          <StackedTable columns={['Name', 'Email', 'Role', 'Joined']} actions={editing}>
              {rows.map((m) => (
                <tr key={m.user.id} data-member-id={m.user.id} className={stacked.row}>
                  <Cell className="font-medium">
                    {m.user.name}
                    {m.user.id === me?.user.id && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
                  </Cell>
                  <Cell label="Email">{m.user.email}</Cell>
                  <Cell label="Role">
                    {can.has('member.update_role') ? <RoleEditor member={m} onSaved={(text) => setNotice({ ok: true, text })} /> : <Badge>{m.role}</Badge>}
                  </Cell>
                  <Cell label="Joined" className="md:whitespace-nowrap">
                    {when(m.joinedAt)}
                  </Cell>
                  {editing && (
                    <Cell>
                      <div className="mt-1 flex flex-wrap gap-2 md:mt-0">
                        {can.has('member.revoke_sessions') && (
                          <ConfirmDialog
                            trigger={
                              <Button variant="outline" size="sm" aria-label={`Sign out everywhere: ${m.user.name}`}>
                                <LogOut aria-hidden />
                                Sign out everywhere
                              </Button>
                            }
                            title={`Sign ${m.user.name} out everywhere?`}
                            description={`Every session ${m.user.id === me?.user.id ? 'you have' : 'they have'} open in this organization ends at once${m.user.id === me?.user.id ? ', this one included' : ''}; signing in again works. API keys keep working (revoke those on the API keys page).`}
                            confirmLabel="Sign out everywhere"
                            onConfirm={() => signOut(m)}
                          />
                        )}
                        {can.has('member.remove') && (
                          <ConfirmDialog
                            trigger={
                              <Button variant="outline" size="sm" aria-label={`Remove ${m.user.name}`}>
                                <Trash2 aria-hidden />
                                Remove
                              </Button>
                            }
                            title={`Remove ${m.user.name}?`}
                            description={`${m.user.email} loses access to this organization. An organization keeps at least one admin.`}
                            confirmLabel="Remove member"
                            onConfirm={() => remove(m)}
                          />
                        )}
                      </div>
                    </Cell>
                  )}
                </tr>
              ))}
            </StackedTable>
        )}
      </Resource>
    </Card>
  );
}

/** A member's role as a select with its own Save; the server keeps at least one admin (409 otherwise). */
function RoleEditor({ member, onSaved }: { member: Member; onSaved: (text: string) => void }) {
  const { me, reload } = useSession();
  const form = useSchemaForm(updateMemberSchema, { defaultValues: { role: member.role } });
  const { register, handleSubmit, formState, watch, reset } = form;
  useEffect(() => reset({ role: member.role }), [member.role, reset]);
  const chosen = watch('role');
  const id = `role-${member.user.id}`;
  const submit = handleSubmit(async (body) => {
    const { data, error } = await api.PATCH('/api/v1/members/{userId}', { params: { path: { userId: member.user.id } }, body });
    if (!data) {
      // The role stays what the server has; the refusal (such as the last admin's) stays shown.
      form.setValue('role', member.role);
      return failWith(form, error);
    }
    reset({ role: data.role });
    onSaved(`${member.user.name} is now ${data.role}.`);
    if (member.user.id === me?.user.id) await reload();
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="flex min-w-44 flex-col gap-1">
      <div className="flex gap-2">
        <label htmlFor={id} className="sr-only">
          Role of {member.user.name}
        </label>
        <Select id={id} {...register('role')} aria-invalid={Boolean(formState.errors.role)}>
          {rolesUpTo('admin').map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </Select>
        <Button
          type="submit"
          size="sm"
          variant="outline"
          disabled={formState.isSubmitting || chosen === member.role}
          aria-label={`Save role of ${member.user.name}`}
        >
          {formState.isSubmitting ? 'Saving…' : 'Save'}
        </Button>
      </div>
      {formState.errors.role?.message && <p className="text-xs text-red-800">{formState.errors.role.message}</p>}
      <FormAlert form={form} />
    </form>
  );
}
