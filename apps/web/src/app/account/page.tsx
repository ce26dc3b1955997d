'use client';

import { PageTitle } from '@/components/ui';
import { Profile } from '@/features/account/profile';
import { Sessions } from '@/features/account/sessions';
import { Passkeys } from '@/features/account/passkeys';

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
