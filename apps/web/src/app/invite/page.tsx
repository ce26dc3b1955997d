'use client';

import { InvitePage } from '@/features/invite/invitation';

/**
 * The page an invitation link opens (/invite/?token=…), outside the signed-in frame. The token is
 * taken out of the address bar at once and kept for this tab only (lib/invitation-token.ts), so the
 * page shows /invite/ and a reload still works. Then what the invitation offers, then joining with
 * a new passkey, through an identity provider, or — for someone who already has an account —
 * signing in and accepting. A link that no longer works says why and
 * what to do next.
 */
export default function Page() {
  return <InvitePage />;
}
