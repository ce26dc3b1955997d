'use client';

import { type ReactNode } from 'react';
import { useSession } from '@/components/session';
import { Empty } from '@/components/states';
import { Badge, when } from '@/components/ui';
import { Card, CardTitle } from '@/components/ui/card';

export function Profile() {
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
