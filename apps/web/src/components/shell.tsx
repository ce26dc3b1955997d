'use client';

import type { Permission } from '@aim/contracts';
import {
  Activity,
  BadgeCheck,
  Bot,
  BellRing,
  ClipboardCheck,
  CircleUser,
  FileCheck2,
  Gavel,
  KeyRound,
  LayoutDashboard,
  UserX,
  LogOut,
  Menu,
  ScrollText,
  Settings,
  ShieldCheck,
  Ticket,
  Users,
  Inbox,
  Radar,
  Server,
  Archive,
  Webhook,
  type LucideIcon,
} from 'lucide-react';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useState, type ReactNode } from 'react';
import { api } from '@/api/client';
import { cn } from '@/lib/utils';
import { useCan, useSession } from './session';
import { Button } from './ui/button';
import { Select } from './ui/input';
import { forgetInvitationToken } from '@/lib/invitation-token';

interface NavItem {
  href: string;
  label: string;
  icon: LucideIcon;
  exact?: boolean;
  /** Shown only to people whose role holds it (the server refuses the page's requests otherwise). */
  needs?: Permission;
}

const NAV: { group: string; items: NavItem[] }[] = [
  { group: 'Home', items: [{ href: '/', label: 'Overview', icon: LayoutDashboard, exact: true }] },
  {
    group: 'Agents',
    items: [
      { href: '/agents/', label: 'Agents', icon: Bot },
      { href: '/enrollment-tokens/', label: 'Enrollment tokens', icon: Ticket },
      { href: '/capabilities/', label: 'Capabilities', icon: ShieldCheck },
      { href: '/capability-requests/', label: 'Capability requests', icon: Inbox },
      { href: '/mcp-servers/', label: 'MCP servers', icon: Server, needs: 'mcp_server.read' },
    ],
  },
  {
    group: 'Authorization',
    items: [
      { href: '/decisions/', label: 'Decisions', icon: Gavel },
      { href: '/policies/', label: 'Policies', icon: FileCheck2 },
      { href: '/audit/', label: 'Audit', icon: ScrollText, needs: 'audit.read' },
    ],
  },
  {
    group: 'Security',
    items: [
      { href: '/alerts/', label: 'Alerts', icon: BellRing, needs: 'alert.read' },
      { href: '/security/', label: 'Security', icon: Activity, needs: 'alert.read' },
      { href: '/monitoring-settings/', label: 'Monitoring settings', icon: Radar, needs: 'monitoring.manage' },
    ],
  },
  {
    group: 'Compliance',
    items: [
      { href: '/compliance/', label: 'Compliance', icon: BadgeCheck, needs: 'compliance.read', exact: true },
      { href: '/access-reviews/', label: 'Access reviews', icon: ClipboardCheck, needs: 'access_review.review' },
      { href: '/compliance/retention/', label: 'Retention', icon: Archive, needs: 'compliance.read' },
      { href: '/privacy/', label: 'Privacy', icon: UserX, needs: 'privacy.manage' },
    ],
  },
  {
    group: 'Organization',
    items: [
      { href: '/members/', label: 'Members', icon: Users, needs: 'member.read' },
      { href: '/api-keys/', label: 'API keys', icon: KeyRound, needs: 'api_key.read' },
      { href: '/webhooks/', label: 'Webhooks', icon: Webhook, needs: 'webhook.read' },
      { href: '/settings/', label: 'Settings', icon: Settings, needs: 'organization.read' },
      { href: '/account/', label: 'Your account', icon: CircleUser },
    ],
  },
];

/** The frame of every signed-in page: grouped navigation (a menu on phones), organization switcher, sign-out. */
export function Shell({ children }: { children: ReactNode }) {
  const { me, loading, reload } = useSession();
  const can = useCan();
  const path = usePathname();
  const router = useRouter();
  const [menuOpen, setMenuOpen] = useState(false);
  const public_ = path.startsWith('/sign-in') || path.startsWith('/invite');

  useEffect(() => {
    if (!loading && !me && !public_) router.replace('/sign-in/');
  }, [loading, me, public_, router]);
  useEffect(() => setMenuOpen(false), [path]);
  // Signed in on the dashboard itself (e.g. after joining through an identity provider): the invitation this tab kept is done with.
  useEffect(() => {
    if (me && !public_) forgetInvitationToken();
  }, [me, public_]);

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
  const current = (item: NavItem) => (item.exact ? path === item.href : path.startsWith(item.href));

  return (
    <div className="min-h-screen bg-slate-50 text-slate-900">
      <a
        href="#main"
        className="sr-only rounded bg-white px-3 py-2 text-sm font-medium focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50"
      >
        Skip to content
      </a>
      <header className="flex flex-wrap items-center gap-3 border-b border-slate-200 bg-white px-4 py-3">
        <Button
          variant="ghost"
          size="icon"
          className="md:hidden"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          aria-label="Menu"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <Menu aria-hidden />
        </Button>
        <Link href="/" className="font-semibold">
          AIM
        </Link>
        <div className="ml-auto flex min-w-0 items-center gap-2">
          <label className="sr-only" htmlFor="organization">
            Organization
          </label>
          <Select id="organization" className="max-w-48" value={me.organization?.id ?? ''} onChange={(e) => void switchTo(e.target.value)}>
            {!me.organization && (
              <option value="" disabled>
                Choose an organization
              </option>
            )}
            {me.memberships.map((m) => (
              <option key={m.organization.id} value={m.organization.id}>
                {m.organization.name} ({m.role})
              </option>
            ))}
          </Select>
          <Button variant="ghost" onClick={() => void signOut()}>
            <LogOut aria-hidden />
            Sign out
          </Button>
        </div>
      </header>
      <div className="md:flex">
        <nav
          id="main-nav"
          aria-label="Main"
          className={cn('border-b border-slate-200 bg-white px-3 py-3 md:block md:min-h-[calc(100vh-3.6rem)] md:w-56 md:shrink-0 md:border-b-0 md:border-r', menuOpen ? 'block' : 'hidden')}
        >
          {NAV.map(({ group, items }) => {
            const shown = items.filter((item) => !item.needs || can.has(item.needs));
            if (shown.length === 0) return null;
            return (
              <div key={group} className="mb-3">
                <p className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">{group}</p>
                <ul>
                  {shown.map((item) => (
                    <li key={item.href}>
                      <Link
                        href={item.href}
                        aria-current={current(item) ? 'page' : undefined}
                        className="flex items-center gap-2 rounded px-2 py-1.5 text-sm hover:bg-slate-100 aria-[current=page]:bg-slate-900 aria-[current=page]:text-white"
                      >
                        <item.icon className="size-4 shrink-0" aria-hidden />
                        {item.label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
        </nav>
        {/* Keyed by organization: after a switch every page loads afresh, and nothing of the last one stays or is saved into the new one. */}
        <main key={me.organization?.id ?? 'none'} id="main" tabIndex={-1} className="mx-auto w-full min-w-0 max-w-6xl p-4 focus:outline-none">
          {children}
        </main>
      </div>
    </div>
  );
}
