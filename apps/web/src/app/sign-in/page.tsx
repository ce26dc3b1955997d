'use client';

import { startAuthentication } from '@simplewebauthn/browser';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { useSession } from '@/components/session';

type Provider = components['schemas']['IdentityProviderList']['providers'][number];

/** Sign in with a passkey or with one of the deployment's identity providers. */
export default function SignIn() {
  const { me, reload } = useSession();
  const router = useRouter();
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (me) router.replace('/agents/');
  }, [me, router]);
  useEffect(() => {
    api.GET('/api/v1/auth/providers').then(
      ({ data, error: e }) => (data ? setProviders(data.providers) : setError(errorMessage(e))),
      () => setError(errorMessage(undefined)),
    );
  }, []);

  const passkey = async () => {
    setBusy(true);
    setError(null);
    try {
      const options = await api.POST('/api/v1/auth/passkey/options');
      if (!options.data) throw options.error;
      const credential = await startAuthentication({ optionsJSON: options.data as never });
      const signedIn = await api.POST('/api/v1/auth/passkey', { body: { credential: credential as never } });
      if (signedIn.error) throw signedIn.error;
      await reload();
    } catch (e) {
      setError(e instanceof Error && e.name === 'NotAllowedError' ? 'The passkey prompt was closed or timed out; try again.' : errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="mx-auto mt-16 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-1 text-xl font-semibold">Sign in to AIM</h1>
      <p className="mb-6 text-sm text-slate-600">Agent Identity Management</p>
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
