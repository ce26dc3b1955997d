'use client';

import { startAuthentication } from '@simplewebauthn/browser';
import { useState } from 'react';
import { api, errorMessage } from '@/api/client';
import { useSession } from '@/components/session';

/** What to tell a person when the browser's passkey prompt did not produce a credential. */
export function passkeyPromptMessage(e: unknown, creating: boolean): string {
  const name = e instanceof Error ? e.name : '';
  if (name === 'NotAllowedError') return 'The passkey prompt was closed or timed out; try again.';
  if (!creating) return errorMessage(e);
  if (name === 'InvalidStateError') return 'This device already holds one of your passkeys.';
  return e instanceof Error ? `Your browser could not create a passkey: ${e.message}` : 'Your browser could not create a passkey.';
}

/**
 * Sign in with a discoverable passkey (options, the browser's prompt, verification), then reload who is
 * signed in. `error` is the message to show when it did not work.
 */
export function usePasskeySignIn() {
  const { reload } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signIn = async () => {
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
      setError(passkeyPromptMessage(e, false));
    } finally {
      setBusy(false);
    }
  };
  return { signIn, busy, error, setError };
}
