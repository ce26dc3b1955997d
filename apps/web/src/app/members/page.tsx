'use client';

import { createInvitationSchema, updateMemberSchema, type Role } from '@aim/contracts';
import { LogOut, Trash2, UserPlus } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { useLatest } from '@/components/latest';
import { useLive } from '@/components/live';
import { Cell, NoticeLine, ReadOnlyNote, ShownOnce, rolesUpTo, stacked, type Notice } from '@/components/organization-parts';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';

type Member = components['schemas']['Member'];
type Invitation = components['schemas']['Invitation'];
type CreatedInvitation = components['schemas']['CreatedInvitation'];
type RoleTable = components['schemas']['RoleTable'];

/** Members of the organization, their roles, invitations, and what each role may do. */
export default function Members() {
  const can = useCan();
  return (
    <section aria-labelledby="members-title">
      <PageTitle id="members-title">Members</PageTitle>
      <div className="flex flex-col gap-6">
        <MemberList />
        {(can.has('invitation.read') || can.has('member.invite')) && <Invitations />}
        <Roles />
      </div>
    </section>
  );
}

function MemberList() {
  const can = useCan();
  const { me, reload } = useSession();
  const latest = useLatest();
  const [rows, setRows] = useState<Member[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const editing = can.has('member.update_role') || can.has('member.remove') || can.has('member.revoke_sessions');

  const load = useCallback(
    async (quiet = false) => {
      const current = latest();
      if (!quiet) {
        setError(null);
        setRows(null);
      }
      const { data, error: e } = await api.GET('/api/v1/members');
      if (!current()) return;
      if (!data) return quiet ? undefined : setError(errorMessage(e));
      setRows([...data.members].sort((a, b) => a.user.name.localeCompare(b.user.name)));
    },
    [latest],
  );
  useEffect(() => void load(), [load]);
  useLive(['user', 'member', 'membership'], () => void load(true));

  const remove = async (m: Member) => {
    const { error: e } = await api.DELETE('/api/v1/members/{userId}', { params: { path: { userId: m.user.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `${m.user.name} was removed from the organization.` });
    if (m.user.id === me?.user.id) await reload();
    await load(true);
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
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="members" />
      ) : rows.length === 0 ? (
        <Empty>No members yet.</Empty>
      ) : (
        <table className={stacked.table}>
          <thead className={stacked.head}>
            <tr>
              <th scope="col" className={stacked.th}>
                Name
              </th>
              <th scope="col" className={stacked.th}>
                Email
              </th>
              <th scope="col" className={stacked.th}>
                Role
              </th>
              <th scope="col" className={stacked.th}>
                Joined
              </th>
              {editing && (
                <th scope="col" className={stacked.th}>
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody className={stacked.body}>
            {rows.map((m) => (
              <tr key={m.user.id} data-member-id={m.user.id} className={stacked.row}>
                <Cell className="font-medium">
                  {m.user.name}
                  {m.user.id === me?.user.id && <span className="ml-1 text-xs font-normal text-slate-500">(you)</span>}
                </Cell>
                <Cell label="Email">{m.user.email}</Cell>
                <Cell label="Role">
                  {can.has('member.update_role') ? (
                    <RoleEditor member={m} onSaved={(text) => setNotice({ ok: true, text })} />
                  ) : (
                    <Badge>{m.role}</Badge>
                  )}
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
          </tbody>
        </table>
      )}
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
        <Button type="submit" size="sm" variant="outline" disabled={formState.isSubmitting || chosen === member.role} aria-label={`Save role of ${member.user.name}`}>
          {formState.isSubmitting ? 'Saving…' : 'Save'}
        </Button>
      </div>
      {formState.errors.role?.message && <p className="text-xs text-red-800">{formState.errors.role.message}</p>}
      <FormAlert form={form} />
    </form>
  );
}

function invitationState(i: Invitation): string {
  if (i.revokedAt) return 'revoked';
  if (i.acceptedAt) return 'accepted';
  if (new Date(i.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'pending';
}

function Invitations() {
  const can = useCan();
  const latest = useLatest();
  const [rows, setRows] = useState<Invitation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const readable = can.has('invitation.read');

  const load = useCallback(
    async (quiet = false) => {
      if (!readable) return;
      const current = latest();
      if (!quiet) {
        setError(null);
        setRows(null);
      }
      const { data, error: e } = await api.GET('/api/v1/invitations');
      if (!current()) return;
      if (!data) return quiet ? undefined : setError(errorMessage(e));
      setRows(data.invitations);
    },
    [latest, readable],
  );
  useEffect(() => void load(), [load]);
  useLive(['invitation', 'user'], () => void load(true));

  const revoke = async (i: Invitation) => {
    const { error: e } = await api.DELETE('/api/v1/invitations/{invitationId}', { params: { path: { invitationId: i.id } } });
    if (e) return errorMessage(e);
    setNotice({ ok: true, text: `The invitation of ${i.email} was revoked; its link no longer works.` });
    setCreated((shown) => (shown?.id === i.id ? null : shown));
    await load(true);
  };

  return (
    <Card aria-labelledby="invitations-title">
      <CardTitle id="invitations-title">Invitations</CardTitle>
      {can.has('member.invite') && (
        <InviteForm
          onInvited={(i) => {
            setNotice({ ok: true, text: `${i.email} is invited as ${i.role}.` });
            setCreated(i);
            void load(true);
          }}
        />
      )}
      <NoticeLine notice={notice} />
      {created && (
        <div className="mb-4">
          <ShownOnce title={`Invitation link for ${created.email}`} label="Invitation link" value={created.link} dismiss={() => setCreated(null)}>
            <p className="mb-2 text-slate-700">
              AIM mailed them this single-use link (without a mail server configured, it is written to the server log). You can also send it
              yourself. It expires on {when(created.expiresAt)}.
            </p>
          </ShownOnce>
        </div>
      )}
      {!can.has('invitation.read') ? null : error ? (
        <Failed message={error} retry={() => void load()} />
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
                    {state === 'accepted' ? `accepted ${when(i.acceptedAt)}` : state === 'revoked' ? `revoked ${when(i.revokedAt)}` : `${state === 'expired' ? 'expired' : 'expires'} ${when(i.expiresAt)}`}
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
        Invite a person by email. With the link they join with a passkey, or sign in with that address through an identity provider; the
        invitation works once.
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

const AREA_NAMES: Record<string, string> = {
  organization: 'Organization',
  member: 'Members',
  invitation: 'Invitations',
  api_key: 'API keys',
  domain: 'Domains',
  identity_provider: 'Identity providers',
  audit: 'Audit log',
  agent: 'Agents',
  capability: 'Capabilities',
  policy: 'Policies',
  decision: 'Decisions',
  trust: 'Trust',
};

/** GET /roles: each role with its permissions grouped by area (the part before the dot). */
function Roles() {
  const can = useCan();
  const [table, setTable] = useState<RoleTable['roles'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    setError(null);
    setTable(null);
    const { data, error: e } = await api.GET('/api/v1/roles');
    if (!data) return setError(errorMessage(e));
    setTable(data.roles);
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <Card aria-labelledby="roles-title">
      <CardTitle id="roles-title">Roles</CardTitle>
      <CardDescription>What each role may do, from the server’s permission table. An API key has a role too, at most its creator’s.</CardDescription>
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : table === null ? (
        <Loading what="roles" />
      ) : table.length === 0 ? (
        <Empty>The server reported no roles.</Empty>
      ) : (
        <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
          {table.map(({ role, permissions }) => {
            const areas = new Map<string, string[]>();
            for (const p of permissions) {
              const [area, action] = p.split('.') as [string, string];
              areas.set(area, [...(areas.get(area) ?? []), action.replaceAll('_', ' ')]);
            }
            return (
              <section key={role} aria-labelledby={`role-${role}`} data-role={role} className="min-w-0 rounded border border-slate-200 p-3">
                <h3 id={`role-${role}`} className="mb-2 flex items-center gap-2 font-semibold">
                  {role}
                  {role === can.role && <span className="text-xs font-normal text-slate-600">(your role)</span>}
                </h3>
                <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
                  {[...areas].map(([area, actions]) => (
                    <div key={area} className="contents">
                      <dt className="font-medium text-slate-700">{AREA_NAMES[area] ?? area}</dt>
                      <dd className="text-slate-700">{actions.join(', ')}</dd>
                    </div>
                  ))}
                </dl>
              </section>
            );
          })}
        </div>
      )}
    </Card>
  );
}
