'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { usePasskeySignIn } from '@/components/passkey';
import { useSession } from '@/components/session';
import { forgetInvitationToken, rememberedInvitationToken } from '@/lib/invitation-token';

type Provider = components['schemas']['IdentityProviderList']['providers'][number];

/**
 * Why signing in through an identity provider did not work, by the error code AIM put in the URL
 * (/sign-in/?error=<code>&requestId=<id>) when it sent the browser back here, and what to do.
 * Only known codes are shown; the page never displays text taken from the URL.
 */
const FAILED: Record<string, { title: string; text: string }> = {
  no_access: {
    title: 'This address has no access to AIM',
    text: 'Your identity provider signed you in, but no organization has invited that address or claimed its domain, or the address already has an AIM account that signs in another way. Sign in the way you usually do, or ask an admin of your organization for an invitation.',
  },
  invitation_email_mismatch: {
    title: 'The invitation is for another address',
    text: 'Your identity provider signed you in with a different email address than the one you were invited with. Sign in at the provider with the invited address (sign out there first if needed), or open your invitation link again and join with a passkey.',
  },
  email_not_verified: {
    title: 'Your identity provider does not vouch for your address',
    text: 'The provider did not confirm that your email address is verified. Verify it with the provider, then try again.',
  },
  invalid_state: {
    title: 'This sign-in expired or was already used',
    text: 'A sign-in must be finished within ten minutes, once, in the browser that started it. Start again below.',
  },
  sign_in_denied: {
    title: 'The identity provider did not sign you in',
    text: 'You may have cancelled, or the provider refused. Try again; if it keeps happening, ask your administrator.',
  },
  idp_unavailable: {
    title: 'The identity provider could not be reached',
    text: 'Try again in a few minutes. If it keeps happening, tell your administrator and quote the reference below.',
  },
  invalid_authorization_code: {
    title: 'The identity provider’s answer could not be used',
    text: 'Start signing in again. If it keeps happening, tell your administrator and quote the reference below.',
  },
  invalid_nonce: {
    title: 'The identity provider’s answer could not be verified',
    text: 'Start signing in again. If it keeps happening, tell your administrator and quote the reference below.',
  },
  invalid_id_token: {
    title: 'The identity provider’s answer could not be verified',
    text: 'Start signing in again. If it keeps happening, tell your administrator and quote the reference below.',
  },
  rate_limited: {
    title: 'Too many sign-in attempts',
    text: 'Wait a minute, then try again.',
  },
  not_found: {
    title: 'This sign-in option is not available',
    text: 'The identity provider does not exist or was turned off. Choose another way to sign in below, or ask your administrator.',
  },
  unknown_invitation: {
    title: 'This invitation link is not known',
    text: 'Open it again from the message you received, or ask an admin of the organization for a new invitation.',
  },
  invitation_used: {
    title: 'This invitation was already used',
    text: 'If you joined with it, sign in below. Otherwise ask an admin of the organization for a new invitation.',
  },
  invitation_revoked: {
    title: 'This invitation was revoked',
    text: 'If you should still join, ask an admin of the organization for a new invitation.',
  },
  invitation_expired: {
    title: 'This invitation has expired',
    text: 'Ask an admin of the organization for a new invitation.',
  },
};
const FAILED_OTHERWISE = {
  title: 'Signing in did not work',
  text: 'Try again. If it keeps happening, tell your administrator and quote the reference below.',
};
/** A request id as the server makes them (see request-id.ts); anything else is not shown. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const INVITATION_UNUSABLE = new Set(['unknown_invitation', 'invitation_used', 'invitation_revoked', 'invitation_expired']);

interface Failure {
  code: string;
  title: string;
  text: string;
  reference: string | null;
  /** This tab came from an invitation that may still work: offer the way back to it (/invite/, the token stays in the tab). */
  backToInvitation: boolean;
}

function failureFrom(search: string): Failure | null {
  const query = new URLSearchParams(search);
  const code = query.get('error');
  if (!code) return null;
  const known = Object.hasOwn(FAILED, code) ? FAILED[code]! : FAILED_OTHERWISE;
  const requestId = query.get('requestId');
  // The invitation this tab kept will not work again: drop it.
  if (INVITATION_UNUSABLE.has(code)) forgetInvitationToken();
  const backToInvitation = !INVITATION_UNUSABLE.has(code) && Boolean(rememberedInvitationToken());
  return { code, ...known, reference: requestId && REQUEST_ID.test(requestId) ? requestId : null, backToInvitation };
}

/** Sign in with a passkey or with one of the deployment's identity providers. */
export function SignIn() {
  const { me } = useSession();
  const router = useRouter();
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const { signIn: passkey, busy, error, setError } = usePasskeySignIn();
  const [failed, setFailed] = useState<Failure | null>(null);
  const [read, setRead] = useState(false);

  useEffect(() => {
    setFailed(failureFrom(window.location.search));
    setRead(true);
  }, []);
  // Signed in already: on to the dashboard, unless the page came to say why a sign-in failed.
  useEffect(() => {
    if (me && read && !failed) router.replace('/agents/');
  }, [me, read, failed, router]);
  useEffect(() => {
    api.GET('/api/v1/auth/providers').then(
      ({ data, error: e }) => (data ? setProviders(data.providers) : setError(errorMessage(e))),
      () => setError(errorMessage(undefined)),
    );
  }, []);

  return (
    <main className="mx-auto mt-16 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-1 text-xl font-semibold">Sign in to AIM</h1>
      <p className="mb-6 text-sm text-slate-600">Agent Identity Management</p>
      <div role="alert" aria-live="assertive" aria-atomic="true">
        {failed && (
          <div className="mb-6 rounded border border-red-200 bg-red-50 p-3 text-sm text-red-900" data-error-code={failed.code}>
            <h2 className="mb-1 font-semibold">{failed.title}</h2>
            <p>{failed.text}</p>
            {failed.reference && <p className="mt-2 text-xs break-all text-red-800">Reference: {failed.reference}</p>}
            {failed.backToInvitation && (
              <a href="/invite/" className="mt-2 block font-medium underline">
                Back to your invitation
              </a>
            )}
            {me && (
              <a href="/agents/" className="mt-2 inline-block underline">
                Continue to AIM as {me.user.email}
              </a>
            )}
          </div>
        )}
      </div>
      <button
        type="button"
        onClick={() => void passkey()}
        disabled={busy}
        className="mb-3 w-full rounded bg-slate-900 px-4 py-2 text-white hover:bg-slate-700 disabled:opacity-60"
      >
        {busy ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
      </button>
      {providers === null ? (
        <p className="text-sm text-slate-500" aria-busy="true">
          Loading sign-in options…
        </p>
      ) : (
        providers.map((p) => (
          <a
            key={p.id}
            href={`${p.startUrl}${p.startUrl.includes('?') ? '&' : '?'}returnTo=/agents/`}
            className="mb-2 block w-full rounded border border-slate-300 px-4 py-2 text-center hover:bg-slate-50"
          >
            Continue with {p.displayName}
          </a>
        ))
      )}
      {error && (
        <p role="alert" className="mt-3 rounded bg-red-50 p-2 text-sm text-red-800">
          {error}
        </p>
      )}
    </main>
  );
}
