'use client';

import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, type ReactNode } from 'react';
import { api } from '@/api/client';
import { useCan, useSession } from './session';

const NAV = [
  { href: '/', label: 'Overview', exact: true },
  { href: '/agents/', label: 'Agents' },
  { href: '/enrollment-tokens/', label: 'Enrollment tokens' },
  { href: '/capability-requests/', label: 'Capability requests' },
  { href: '/decisions/', label: 'Decisions' },
  { href: '/audit/', label: 'Audit', audit: true },
];

/** The frame of every signed-in page: navigation, organization switcher, sign-out. */
export function Shell({ children }: { children: ReactNode }) {
  const { me, loading, reload } = useSession();
  const can = useCan();
  const path = usePathname();
  const router = useRouter();
  const public_ = path.startsWith('/sign-in');

  useEffect(() => {
    if (!loading && !me && !public_) router.replace('/sign-in/');
  }, [loading, me, public_, router]);

  if (public_) return <>{children}</>;
  if (loading || !me) {
    return (
      <main className="p-6 text-slate-600" aria-busy="true">
        Loading…
      </main>
    );
  }

  const switchTo = async (organizationId: string) => {
    await api.POST('/api/v1/me/organization', { body: { organizationId } });
    await reload();
  };
  const signOut = async () => {
    await api.POST('/api/v1/auth/sign-out');
    await reload();
  };

  return (
    <div className="min-h-screen bg-slate-50 text-slate-900">
      <header className="flex flex-wrap items-center gap-3 border-b border-slate-200 bg-white px-4 py-3">
        <span className="font-semibold">AIM</span>
        <nav aria-label="Main" className="order-last flex w-full flex-wrap gap-1 md:order-none md:w-auto">
          {NAV.filter((item) => !item.audit || can.audit).map((item) => (
            <Link
              key={item.href}
              href={item.href}
              aria-current={('exact' in item && item.exact ? path === item.href : path.startsWith(item.href)) ? 'page' : undefined}
              className="rounded px-2 py-1 text-sm hover:bg-slate-100 aria-[current=page]:bg-slate-900 aria-[current=page]:text-white"
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <div className="ml-auto flex items-center gap-2">
          <label className="sr-only" htmlFor="organization">
            Organization
          </label>
          <select
            id="organization"
            className="rounded border border-slate-300 bg-white px-2 py-1 text-sm"
            value={me.organization?.id ?? ''}
            onChange={(e) => void switchTo(e.target.value)}
          >
            {me.memberships.map((m) => (
              <option key={m.organization.id} value={m.organization.id}>
                {m.organization.name} ({m.role})
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void signOut()} className="rounded px-2 py-1 text-sm hover:bg-slate-100">
            Sign out
          </button>
        </div>
      </header>
      <main className="mx-auto max-w-6xl p-4">{children}</main>
    </div>
  );
}
