'use client';

import { useCan } from '@/components/session';
import { PageTitle } from '@/components/ui';
import { MemberList } from '@/features/members/member-list';
import { Invitations } from '@/features/members/invitations';
import { Roles } from '@/features/members/roles';

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
