'use client';

import { SignIn } from '@/features/sign-in/sign-in';

/** Sign in with a passkey or with one of the deployment's identity providers. */
export default function Page() {
  return <SignIn />;
}
