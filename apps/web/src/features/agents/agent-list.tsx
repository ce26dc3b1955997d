'use client';

import { tagSchema } from '@aim/contracts';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/api/client';
import type { components } from '@/api/schema';
import { KeysetList } from '@/components/resource-list';
import { ChoiceFilter } from '@/components/filters';
import { must, useListQuery } from '@/data/query';
import { useSession } from '@/components/session';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { Input } from '@/components/ui/input';

type Agent = components['schemas']['AgentSummary'];
type Status = NonNullable<Agent['status']>;
type Tier = Agent['trustTier'];

const STATUSES: Status[] = ['active', 'suspended', 'revoked'];
const TIERS: Tier[] = ['verified', 'high', 'medium', 'low', 'untrusted', 'unscored'];

const tierColor: Record<string, string> = {
  verified: 'bg-emerald-100 text-emerald-900',
  high: 'bg-green-100 text-green-900',
  medium: 'bg-amber-100 text-amber-900',
  low: 'bg-orange-100 text-orange-900',
  untrusted: 'bg-red-100 text-red-900',
  unscored: 'bg-slate-100 text-slate-700',
};

/** The organization's agents: search, filters (status, trust tier, tag, owner), keyset pages. */
export function AgentList() {
  const { me } = useSession();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<Status | ''>('');
  const [tier, setTier] = useState<Tier | ''>('');
  const [tag, setTag] = useState('');
  const [mine, setMine] = useState(false);
  const validTag = tagSchema.safeParse(tag.trim()).success;
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);

  const { rows, next, error, retry } = useListQuery({
    name: '/api/v1/agents',
    // New agents and status or trust changes appear without a reload (quietly: the rows stay until the new ones arrive).
    topics: ['agent'],
    debounceMs: 200,
    params: {
      limit: 25,
      ...(q.trim() ? { q: q.trim() } : {}),
      ...(status ? { status } : {}),
      ...(tier ? { trustTier: tier } : {}),
      ...(tag.trim() && validTag ? { tag: tag.trim() } : {}),
      ...(mine && me ? { ownerId: me.user.id } : {}),
      ...(cursor ? { cursor } : {}),
    },
    fetch: async (query) => {
      const data = must(await api.GET('/api/v1/agents', { params: { query } }));
      return { rows: data.agents, next: data.nextCursor };
    },
  });

  return (
    <section aria-labelledby="agents-title">
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <h1 id="agents-title" className="mr-auto text-2xl font-semibold">
          Agents
        </h1>
        <label className="flex min-w-0 flex-col text-sm">
          Search
          <Input
            type="search"
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              setPages([]);
            }}
            maxLength={100}
            placeholder="Name, description or purpose"
          />
        </label>
        <ChoiceFilter label="Status" value={status} choices={STATUSES} onChange={(v) => (setStatus(v), setPages([]))} />
        <ChoiceFilter label="Trust tier" value={tier} choices={TIERS} onChange={(v) => (setTier(v), setPages([]))} />
        <label className="flex flex-col text-sm">
          Tag
          <Input
            value={tag}
            onChange={(e) => {
              setTag(e.target.value);
              setPages([]);
            }}
            maxLength={50}
            placeholder="billing"
            aria-invalid={tag.trim() !== '' && !validTag}
            aria-describedby={tag.trim() !== '' && !validTag ? 'tag-help' : undefined}
            className="w-28"
          />
        </label>
        <label className="flex items-center gap-1 self-end pb-1 text-sm">
          <input
            type="checkbox"
            checked={mine}
            onChange={(e) => {
              setMine(e.target.checked);
              setPages([]);
            }}
          />
          Only mine
        </label>
      </div>
      {tag.trim() !== '' && !validTag && (
        <p id="tag-help" className="-mt-2 mb-3 text-xs text-red-800">
          {tagSchema.safeParse(tag.trim()).error?.issues[0]?.message}
        </p>
      )}
      <KeysetList
        list={{ rows, next, error, retry }}
        what="agents"
        empty={q || status || tier || tag || mine ? 'No agent matches.' : 'No agents yet. Create an enrollment token, or register one with the SDK.'}
        pages={pages}
        setPages={setPages}
      >
        {(rows) => (
          <div className="rounded border border-slate-200 bg-white px-3">
            <StackedTable columns={['Name', 'Status', 'Trust', 'Last seen']}>
                {rows.map((a) => (
                  <tr key={a.id} className={stacked.row} data-agent-id={a.id}>
                    <Cell label="Name">
                      <Link href={`/agents/detail/?id=${encodeURIComponent(a.id)}`} className="font-medium underline-offset-2 hover:underline">
                        {a.name}
                      </Link>
                      <div className="text-xs text-slate-500">{a.purpose ?? a.id}</div>
                    </Cell>
                    <Cell label="Status">{a.status}</Cell>
                    <Cell label="Trust">
                      <span className={`rounded px-2 py-0.5 text-xs ${tierColor[a.trustTier] ?? ''}`}>{a.trustTier}</span>{' '}
                      {a.trustScore !== null && <span className="text-xs text-slate-600">{a.trustScore.toFixed(1)}</span>}
                    </Cell>
                    <Cell label="Last seen" className="text-slate-600">
                      {a.lastSeenAt ? new Date(a.lastSeenAt).toLocaleString() : 'never'}
                    </Cell>
                  </tr>
                ))}
              </StackedTable>
          </div>
        )}
      </KeysetList>
    </section>
  );
}
