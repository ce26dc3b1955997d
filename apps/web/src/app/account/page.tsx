'use client';

import { renamePasskeySchema } from '@aim/contracts';
import { startRegistration } from '@simplewebauthn/browser';
import { KeyRound, Laptop } from 'lucide-react';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { passkeyPromptMessage } from '@/components/passkey';
import { useLive } from '@/components/live';
import { useLatest } from '@/components/latest';
import { useSession } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';

type Session = components['schemas']['Session'];
type Passkey = components['schemas']['Passkey'];

/** The signed-in person's own account: profile, open sessions, passkeys. */
export default function AccountPage() {
  return (
    <section aria-labelledby="account-title" className="min-w-0 space-y-6">
      <PageTitle id="account-title">Your account</PageTitle>
      <Profile />
      <Sessions />
      <Passkeys />
    </section>
  );
}

function Profile() {
  const { me } = useSession();
  if (!me) return null;
  return (
    <Card aria-labelledby="profile-title">
      <CardTitle id="profile-title">Profile</CardTitle>
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Item label="Name">{me.user.name}</Item>
        <Item label="Email">{me.user.email}</Item>
        <Item label="Account created">{when(me.user.createdAt)}</Item>
        <Item label="Acting for">{me.organization ? `${me.organization.name} (${me.role ?? '—'})` : '—'}</Item>
      </dl>
      <h3 className="mb-2 mt-4 font-medium">Organizations</h3>
      {me.memberships.length === 0 ? (
        <Empty>You belong to no organization.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Your organizations">
          {me.memberships.map((m) => (
            <li key={m.organization.id} className="flex flex-wrap items-center gap-2 py-2" data-organization-id={m.organization.id}>
              <span className="min-w-0 wrap-anywhere font-medium">{m.organization.name}</span>
              <Badge>{m.role}</Badge>
              {m.organization.id === me.organization?.id && <span className="text-xs text-slate-600">current</span>}
            </li>
          ))}
        </ul>
      )}
      <p className="mt-3 text-xs text-slate-600">Your name and email come from your sign-in; an admin of your organization changes roles.</p>
    </Card>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="wrap-anywhere">{children}</dd>
    </div>
  );
}

/** "Chrome on Linux" from a user agent string; the raw string stays available under it. */
function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /HeadlessChrome\//.test(ua)
        ? 'Headless Chrome'
        : /Chrome\/|Chromium\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : null;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? 'Other client';
}

const METHOD: Record<Session['authMethod'], string> = { passkey: 'passkey', oidc: 'identity provider', setup: 'setup link' };

function Sessions() {
  const { reload } = useSession();
  const latest = useLatest();
  const [rows, setRows] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (quiet = false) => {
      const isLatest = latest();
      if (!quiet) {
        setError(null);
        setRows(null);
      }
      const { data, error: e } = await api.GET('/api/v1/me/sessions');
      if (!isLatest()) return;
      if (!data) return quiet ? undefined : setError(errorMessage(e));
      setRows([...data.sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt)));
    },
    [latest],
  );
  useEffect(() => void load(), [load]);
  useLive(['session'], () => void load(true));

  const end = async (s: Session) => {
    if (s.current) {
      // Ending this browser's session: sign out, which also clears its cookies.
      const { error: e } = await api.POST('/api/v1/auth/sign-out');
      if (e) return errorMessage(e);
      await reload();
      return;
    }
    const { error: e } = await api.DELETE('/api/v1/me/sessions/{sessionId}', { params: { path: { sessionId: s.id } } });
    if (e) return errorMessage(e);
    await load(true);
  };

  return (
    <Card aria-labelledby="sessions-title">
      <CardTitle id="sessions-title">Sessions</CardTitle>
      <CardDescription>
        Where you are signed in, and from which address each session signed in. End a session you do not recognise: that browser is signed out at its next
        request.
      </CardDescription>
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="your sessions" />
      ) : rows.length === 0 ? (
        <Empty>No open sessions.</Empty>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" aria-label="Your sessions">
          {rows.map((s) => {
            const device = describeAgent(s.userAgent);
            return (
              <li key={s.id} data-session-id={s.id} className="flex flex-wrap items-start gap-x-4 gap-y-2 py-3">
                <Laptop className="mt-0.5 size-4 shrink-0 text-slate-500" aria-hidden />
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium">{device}</span>
                    {s.current && (
                      <span className="rounded bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900" data-testid="this-browser">
                        this browser
                      </span>
                    )}
                  </div>
                  {s.userAgent && <div className="text-xs wrap-anywhere text-slate-500">{s.userAgent}</div>}
                  <div className="mt-1 text-xs text-slate-600">
                    Signed in with {METHOD[s.authMethod]} {when(s.createdAt)} from {s.clientIp ?? 'an unrecorded address'} · last used {when(s.lastSeenAt)} · expires {when(s.expiresAt)}
                  </div>
                </div>
                <ConfirmDialog
                  trigger={
                    <Button variant="outline" size="sm" aria-label={s.current ? 'Sign out here, in this browser' : `End session ${device}, signed in ${when(s.createdAt)}`}>
                      {s.current ? 'Sign out here' : 'End session'}
                    </Button>
                  }
                  title={s.current ? 'Sign out of this browser?' : 'End this session?'}
                  description={
                    s.current
                      ? 'This is the session you are using: ending it signs you out here. Sign in again with a passkey or your identity provider.'
                      : `${device}, signed in ${when(s.createdAt)}, is signed out at its next request.`
                  }
                  confirmLabel={s.current ? 'Sign out' : 'End session'}
                  onConfirm={() => end(s)}
                />
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

function Passkeys() {
  const latest = useLatest();
  const [rows, setRows] = useState<Passkey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);

  const load = useCallback(
    async (quiet = false) => {
      const isLatest = latest();
      if (!quiet) {
        setError(null);
        setRows(null);
      }
      const { data, error: e } = await api.GET('/api/v1/me/passkeys');
      if (!isLatest()) return;
      if (!data) return quiet ? undefined : setError(errorMessage(e));
      setRows(data.passkeys);
    },
    [latest],
  );
  useEffect(() => void load(), [load]);
  useLive(['passkey'], () => void load(true));

  const remove = async (p: Passkey) => {
    const { error: e } = await api.DELETE('/api/v1/me/passkeys/{passkeyId}', { params: { path: { passkeyId: p.id } } });
    if (e) return errorMessage(e);
    await load(true);
  };

  return (
    <Card aria-labelledby="passkeys-title">
      <CardTitle id="passkeys-title">Passkeys</CardTitle>
      <CardDescription>Passkeys sign you in to AIM without a password. Keep more than one, on different devices, so losing one does not lock you out.</CardDescription>
      {error ? (
        <Failed message={error} retry={() => void load()} />
      ) : rows === null ? (
        <Loading what="your passkeys" />
      ) : rows.length === 0 ? (
        <Empty>No passkeys yet: you sign in through your identity provider. Add one below.</Empty>
      ) : (
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
                    {p.deviceType === 'multiDevice' ? 'Synced passkey (multi-device)' : 'Single-device passkey'} · {p.backedUp ? 'backed up' : 'not backed up'} · added{' '}
                    {when(p.createdAt)} · last used {p.lastUsedAt ? when(p.lastUsedAt) : 'never'}
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
                    await load(true);
                  }}
                  cancel={() => setRenaming(null)}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      <AddPasskey onAdded={() => load(true)} />
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
        <Field id="passkey-name" label="Passkey name" hint="For you to tell them apart, e.g. Work laptop" error={formState.errors.name?.message} className="w-full sm:w-72">
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
