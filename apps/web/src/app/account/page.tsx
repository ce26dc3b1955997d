'use client';

import { PageTitle } from '@/components/ui';
import { Profile } from '@/features/account/profile';
import { Sessions } from '@/features/account/sessions';
import { Passkeys } from '@/features/account/passkeys';
import { NotificationPreferences } from '@/features/account/notification-preferences';
import { useSession } from '@/components/session';

/** The signed-in person's own account: profile, email notifications (in the current organization), open sessions, passkeys. */
export default function AccountPage() {
  const { me } = useSession();
  return (
    <section aria-labelledby="account-title" className="min-w-0 space-y-6">
      <PageTitle id="account-title">Your account</PageTitle>
      <Profile />
      {me?.organization && <NotificationPreferences />}
      <Sessions />
      <Passkeys />
    </section>
  );
}
