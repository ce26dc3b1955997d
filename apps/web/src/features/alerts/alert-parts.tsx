'use client';

import Link from 'next/link';
import { api } from '@/api/client';
import { useApiQuery } from '@/data/query';
import { SEVERITY_STYLE, STATUS_LABEL, type Alert, type AlertSeverity, type AlertStatus } from './alert-api';

/** Pieces the alert pages share: severity and status badges, the subject as a link, member names. */

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return <span className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${SEVERITY_STYLE[severity].badge}`}>{severity}</span>;
}

const STATUS_TONE: Record<AlertStatus, string> = {
  open: 'bg-red-50 text-red-900 ring-1 ring-red-200',
  acknowledged: 'bg-amber-50 text-amber-900 ring-1 ring-amber-200',
  snoozed: 'bg-slate-100 text-slate-700 ring-1 ring-slate-300',
  resolved: 'bg-emerald-50 text-emerald-900 ring-1 ring-emerald-200',
  false_positive: 'bg-emerald-50 text-emerald-900 ring-1 ring-emerald-200',
};

export function StatusBadge({ status }: { status: AlertStatus }) {
  return <span className={`inline-block rounded px-2 py-0.5 text-xs ${STATUS_TONE[status]}`}>{STATUS_LABEL[status]}</span>;
}

/** The alert's subject: an agent links to its page (named when the name is known); others show type and id. */
export function Subject({ subject, names }: { subject: Alert['subject']; names: Map<string, string> }) {
  if (subject.type === 'agent')
    return (
      <Link href={`/agents/detail/?id=${encodeURIComponent(subject.id)}`} className="underline underline-offset-2" title={subject.id}>
        {names.get(subject.id) ?? subject.id}
      </Link>
    );
  return (
    <span>
      {subject.type.replace('_', ' ')} <span className="font-mono text-xs">{subject.id}</span>
    </span>
  );
}

/** The organization's members by id (assignees, note authors), for everyone who may read alerts. */
export function useMembers(): { id: string; name: string }[] {
  const { data } = useApiQuery({
    key: ['/api/v1/members', 'names'],
    topics: ['member', 'membership'],
    fetch: async () => {
      const { data: page } = await api.GET('/api/v1/members');
      return (page?.members ?? []).map((m) => ({ id: m.user.id, name: m.user.name || m.user.email }));
    },
  });
  return data ?? [];
}

/** "3 minutes ago", "2 days ago": how long since `iso`, with the full time as its title. */
export function Ago({ iso }: { iso: string }) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  const [n, unit] =
    seconds < 60 ? [seconds, 'second'] : seconds < 3600 ? [Math.floor(seconds / 60), 'minute'] : seconds < 86_400 ? [Math.floor(seconds / 3600), 'hour'] : [Math.floor(seconds / 86_400), 'day'];
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {n} {unit}
      {n === 1 ? '' : 's'} ago
    </time>
  );
}
