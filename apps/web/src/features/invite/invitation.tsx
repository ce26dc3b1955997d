'use client';

import { joinWithPasskeyOptionsSchema } from '@aim/contracts';
import { startRegistration } from '@simplewebauthn/browser';
import { KeyRound } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { Suspense, useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, errorMessage, type ApiError } from '@/api/client';
import type { components } from '@/api/schema';
import { Field, FormAlert, failWith, useSchemaForm } from '@/components/form';
import { passkeyPromptMessage, usePasskeySignIn } from '@/components/passkey';
import { useSession } from '@/components/session';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { forgetInvitationToken, takeInvitationToken } from '@/lib/invitation-token';

type Preview = components['schemas']['InvitationPreview'];

/**
 * The page an invitation link opens (/invite/?token=…), outside the signed-in frame. The token is
 * taken out of the address bar at once and kept for this tab only (lib/invitation-token.ts), so the
 * page shows /invite/ and a reload still works. Then what the invitation offers, then joining with
 * a new passkey, through an identity provider, or — for someone who already has an account —
 * signing in and accepting. A link that no longer works says why and
 * what to do next.
 */
export function InvitePage() {
  return (
    <main className="mx-auto mt-10 mb-10 w-full max-w-md px-4">
      <Suspense fallback={<Busy />}>
        <Invitation />
      </Suspense>
    </main>
  );
}

function Busy() {
  return (
    <p className="text-sm text-slate-600" aria-busy="true">
      Reading your invitation…
    </p>
  );
}

/** Why a link does not work, and what to do, by the server's error code. */
const UNUSABLE: Record<string, { title: string; text: string }> = {
  unknown_invitation: {
    title: 'This invitation link is not known',
    text: 'It may have been cut short when it was copied. Open it again from the message you received, or ask an admin of the organization for a new invitation.',
  },
  invitation_used: {
    title: 'This invitation was already used',
    text: 'An invitation works once. If you joined with it, sign in with your passkey or identity provider. Otherwise ask an admin of the organization for a new invitation.',
  },
  invitation_revoked: {
    title: 'This invitation was revoked',
    text: 'An admin withdrew it. If you should still join, ask an admin of the organization for a new invitation.',
  },
  invitation_expired: {
    title: 'This invitation has expired',
    text: 'Invitations work for a limited time. Ask an admin of the organization for a new invitation.',
  },
};

/** A refusal that says the link will never work again: the kept token is dropped. */
function forgetIfUnusable(error: unknown): void {
  const code = (error as ApiError | undefined)?.error?.code;
  if (code && Object.hasOwn(UNUSABLE, code)) forgetInvitationToken();
}

function Invitation() {
  /** null until read (after the first render: the URL and sessionStorage exist only in the browser). */
  const [token, setToken] = useState<string | null>(null);
  const { me, loading } = useSession();
  const [preview, setPreview] = useState<Preview | null>(null);
  const [failure, setFailure] = useState<ApiError['error'] | null>(null);

  useEffect(() => setToken(takeInvitationToken()), []);
  const load = useCallback(async () => {
    if (token === null) return;
    setFailure(null);
    const refused = (code: string, message = '') => {
      // A link that will never work again is not kept.
      if (Object.hasOwn(UNUSABLE, code)) forgetInvitationToken();
      setFailure({ code, message });
    };
    if (token.length < 16) return refused('unknown_invitation');
    const { data, error } = await api.POST('/api/v1/invitations/preview', { body: { token } });
    if (data) return setPreview(data);
    const e = (error as ApiError | undefined)?.error;
    return e ? refused(e.code, e.message) : setFailure({ code: 'network_error', message: errorMessage(error) });
  }, [token]);
  useEffect(() => void load(), [load]);

  if (failure) {
    const known = Object.hasOwn(UNUSABLE, failure.code) ? UNUSABLE[failure.code] : undefined;
    if (known) {
      return (
        <Panel title={known.title}>
          <p className="text-sm text-slate-700">{known.text}</p>
          <a href="/sign-in/" className="mt-4 inline-block text-sm underline">
            Go to sign-in
          </a>
        </Panel>
      );
    }
    return (
      <Panel title="Your invitation could not be read">
        <p role="alert" className="rounded border border-red-200 bg-red-50 p-2 text-sm text-red-800">
          {failure.message || errorMessage(undefined)}
        </p>
        <Button variant="outline" className="mt-3" onClick={() => void load()}>
          Try again
        </Button>
      </Panel>
    );
  }
  if (!preview || loading || token === null) return <Busy />;

  return (
    <Panel title={`Join ${preview.organization.name}`}>
      <p className="text-sm text-slate-700">
        {preview.invitedBy ? `${preview.invitedBy.name} invited ` : 'You are invited: '}
        <strong className="break-words">{preview.email}</strong> to join <strong>{preview.organization.name}</strong> on AIM as{' '}
        <strong>{preview.role}</strong>.
      </p>
      <p className="mt-1 mb-4 text-xs text-slate-600">The invitation works once and expires on {when(preview.expiresAt)}.</p>
      {me ? (
        <AcceptSignedIn token={token} preview={preview} />
      ) : preview.accountExists ? (
        <SignInFirst preview={preview} />
      ) : (
        <JoinWithPasskey token={token} preview={preview} />
      )}
      {!me && preview.providers.length > 0 && (
        <div className="mt-4 border-t border-slate-100 pt-4">
          <p className="mb-2 text-sm text-slate-700">
            {preview.accountExists ? 'Or continue' : 'Or join'} with an identity provider that knows you as {preview.email}:
          </p>
          {preview.providers.map((p) => (
            <a key={p.id} href={p.startUrl} className="mb-2 block w-full rounded border border-slate-300 px-4 py-2 text-center text-sm hover:bg-slate-50">
              Continue with {p.displayName}
            </a>
          ))}
        </div>
      )}
    </Panel>
  );
}

function Panel({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <p className="mb-1 text-sm font-semibold text-slate-600">AIM · Agent Identity Management</p>
      <h1 className="mb-3 text-xl font-semibold break-words">{title}</h1>
      {children}
    </div>
  );
}

/** Once joined: the session acts for the organization, and the overview opens. */
function useLanding() {
  const { reload } = useSession();
  const router = useRouter();
  return async () => {
    await reload();
    router.replace('/');
  };
}

/** A new person: their name, then a passkey created on this device. */
function JoinWithPasskey({ token, preview }: { token: string; preview: Preview }) {
  const land = useLanding();
  const form = useSchemaForm(joinWithPasskeyOptionsSchema, { defaultValues: { token, name: '' } });
  const { register, handleSubmit, formState } = form;
  const submit = handleSubmit(async (body) => {
    const options = await api.POST('/api/v1/invitations/passkey/options', { body });
    if (!options.data) {
      forgetIfUnusable(options.error);
      return failWith(form, options.error);
    }
    let credential: unknown;
    try {
      credential = await startRegistration({ optionsJSON: options.data as never });
    } catch (e) {
      return failWith(form, { error: { code: 'webauthn', message: passkeyPromptMessage(e, true) } });
    }
    const joined = await api.POST('/api/v1/invitations/passkey', { body: { token, credential: credential as never } });
    if (!joined.data) {
      forgetIfUnusable(joined.error);
      return failWith(form, joined.error);
    }
    forgetInvitationToken();
    await land();
  });
  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-label="Join with a passkey" className="flex flex-col gap-3">
      <Field id="join-name" label="Your name" hint={`How ${preview.organization.name} will see you.`} error={formState.errors.name?.message}>
        {(aria) => <Input {...aria} autoComplete="name" {...register('name')} />}
      </Field>
      <p className="text-xs text-slate-600">
        AIM stores no passwords: your device keeps a passkey for {preview.email}, unlocked with its screen lock, fingerprint or face.
      </p>
      <FormAlert form={form} />
      <Button type="submit" disabled={formState.isSubmitting}>
        <KeyRound aria-hidden />
        {formState.isSubmitting ? 'Waiting for your device…' : 'Create passkey and join'}
      </Button>
    </form>
  );
}

/** An account already has the address: sign in here with its passkey (or a provider below), then accept. */
function SignInFirst({ preview }: { preview: Preview }) {
  const { signIn, busy, error } = usePasskeySignIn();
  return (
    <div>
      <p className="mb-3 text-sm text-slate-700">
        You already have an AIM account with {preview.email}. Sign in to it, then accept the invitation.
      </p>
      <Button className="w-full" onClick={() => void signIn()} disabled={busy}>
        <KeyRound aria-hidden />
        {busy ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
      </Button>
      {error && (
        <p role="alert" className="mt-3 rounded border border-red-200 bg-red-50 p-2 text-sm text-red-800">
          {error}
        </p>
      )}
    </div>
  );
}

/** Signed in already: accept as yourself, if the invitation is for your address. */
function AcceptSignedIn({ token, preview }: { token: string; preview: Preview }) {
  const { me, reload } = useSession();
  const land = useLanding();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!me) return null;
  const alreadyMember = me.memberships.some((m) => m.organization.id === preview.organization.id);
  const mine = me.user.email.toLowerCase() === preview.email.toLowerCase();

  const accept = async () => {
    setBusy(true);
    setError(null);
    const accepted = await api.POST('/api/v1/invitations/accept', { body: { token } });
    if (!accepted.data) {
      forgetIfUnusable(accepted.error);
      setBusy(false);
      return setError(errorMessage(accepted.error));
    }
    forgetInvitationToken();
    await api.POST('/api/v1/me/organization', { body: { organizationId: accepted.data.organization.id } });
    await land();
  };
  const signOut = async () => {
    await api.POST('/api/v1/auth/sign-out');
    await reload();
  };

  if (!mine) {
    return (
      <div className="text-sm text-slate-700">
        <p className="mb-3">
          You are signed in as <strong className="break-words">{me.user.email}</strong>, but this invitation is for{' '}
          <strong className="break-words">{preview.email}</strong>. Sign out, then join with the invited address.
        </p>
        <Button variant="outline" onClick={() => void signOut()}>
          Sign out
        </Button>
      </div>
    );
  }
  return (
    <div>
      <p className="mb-3 text-sm text-slate-700">
        You are signed in as {me.user.name}.{alreadyMember ? ` You are already a member of ${preview.organization.name}.` : ''}
      </p>
      <Button className="w-full" onClick={() => void accept()} disabled={busy}>
        {busy ? 'Joining…' : `Join ${preview.organization.name}`}
      </Button>
      {error && (
        <p role="alert" className="mt-3 rounded border border-red-200 bg-red-50 p-2 text-sm text-red-800">
          {error}
        </p>
      )}
    </div>
  );
}
