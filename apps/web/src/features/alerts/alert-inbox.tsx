'use client';

import { ACTIVE_ALERT_STATUSES, ALERT_STATUSES, DETECTORS } from '@aim/contracts';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { useAgentChoices, useAgentNames } from '@/components/agent-names';
import { ChoiceFilter } from '@/components/filters';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { KeysetList } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Loading } from '@/components/states';
import { PageTitle } from '@/components/ui';
import { Select } from '@/components/ui/input';
import { must, useListQuery } from '@/data/query';
import { ALERT_TOPICS, DETECTOR_LABEL, SEVERITIES_DOWN, STATUS_LABEL, alertHref, alerts, type AlertSeverity, type AlertStatus, type Detector } from './alert-api';
import { Ago, SeverityBadge, StatusBadge, Subject, useMembers } from './alert-parts';
import { BulkActions } from './bulk-actions';

/** The status filter: the active ones (the default), any one status, or every status. */
type StatusChoice = 'active' | 'all' | AlertStatus;

/** The alerts inbox: filters (active alerts first), a keyset list, bulk acknowledge and resolve; live. */
export function AlertInboxView() {
  return (
    <Suspense fallback={<Loading what="alerts" />}>
      <AlertInbox />
    </Suspense>
  );
}

function AlertInbox() {
  const can = useCan();
  const manage = can.has('alert.manage');
  const agents = useAgentChoices();
  const members = useMembers();
  // ?agentId=… (an agent's page may link here) starts the list filtered to that agent.
  const linked = useSearchParams().get('agentId') ?? '';
  const [agentId, setAgentId] = useState(/^agt_[0-9a-z]{26}$/.test(linked) ? linked : '');
  const [status, setStatus] = useState<StatusChoice>('active');
  const [severity, setSeverity] = useState<AlertSeverity | ''>('');
  const [type, setType] = useState<Detector | ''>('');
  const [pages, setPages] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const cursor = pages.at(-1);

  const list = useListQuery({
    name: '/api/v1/alerts',
    topics: ALERT_TOPICS,
    // A new alert and every change a person makes are audited (live topic `alert`); a repeat finding
    // only counts on its alert (occurrences, last seen) without an audit record, so read again now and then.
    refetchIntervalMs: 30_000,
    params: {
      limit: 25,
      status: status === 'active' ? [...ACTIVE_ALERT_STATUSES] : status === 'all' ? undefined : [status],
      ...(severity ? { severity: [severity] } : {}),
      ...(type ? { type: [type] } : {}),
      ...(agentId ? { subjectId: agentId } : {}),
      ...(cursor ? { cursor } : {}),
    },
    fetch: async (query) => {
      const data = must(await alerts.list(query));
      return { rows: data.alerts, next: data.nextCursor };
    },
  });
  const { rows, next, error, retry } = list;
  const names = useAgentNames((rows ?? []).filter((a) => a.subject.type === 'agent').map((a) => a.subject.id).concat(agentId ? [agentId] : []));
  const memberName = (id: string | null) => (id ? (members.find((m) => m.id === id)?.name ?? id) : '—');
  // Only what is on this page can stay selected (a filter or a page change drops the rest).
  const visible = new Set((rows ?? []).map((a) => a.id));
  const chosen = [...selected].filter((id) => visible.has(id));
  const reset = () => {
    setPages([]);
    setSelected(new Set());
  };
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const filtered = agentId || severity || type || status !== 'active';

  return (
    <section aria-labelledby="alerts-title">
      <PageTitle id="alerts-title">Alerts</PageTitle>
      <form role="search" aria-label="Filter alerts" className="mb-3 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <div className="flex flex-col text-sm">
          <label htmlFor="alerts-status">Status</label>
          <Select
            id="alerts-status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as StatusChoice);
              reset();
            }}
          >
            <option value="active">Active (open, acknowledged, snoozed)</option>
            {ALERT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
            <option value="all">Any</option>
          </Select>
        </div>
        <ChoiceFilter
          label="Severity"
          value={severity}
          choices={SEVERITIES_DOWN}
          onChange={(v) => {
            setSeverity(v);
            reset();
          }}
        />
        <ChoiceFilter
          label="Detector"
          value={type}
          choices={DETECTORS.map((d) => ({ value: d, label: DETECTOR_LABEL[d] }))}
          onChange={(v) => {
            setType(v);
            reset();
          }}
        />
        <div className="flex flex-col text-sm">
          <label htmlFor="alerts-agent">Agent</label>
          <Select
            id="alerts-agent"
            value={agentId}
            className="max-w-[12rem]"
            onChange={(e) => {
              setAgentId(e.target.value);
              reset();
            }}
          >
            <option value="">Any</option>
            {agentId && !agents.some((a) => a.id === agentId) && <option value={agentId}>{names.get(agentId) ?? agentId}</option>}
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
        </div>
      </form>
      {manage && rows && rows.length > 0 && (
        <BulkActions
          chosen={chosen}
          allChosen={chosen.length === rows.length}
          chooseAll={(on) => setSelected(on ? new Set(rows.map((a) => a.id)) : new Set())}
          done={(keep) => {
            setSelected(new Set(keep));
            void list.refresh();
          }}
        />
      )}
      <KeysetList
        list={{ rows, next, error, retry }}
        what="alerts"
        empty={filtered ? 'No alert matches.' : 'No active alerts: nothing needs a look right now.'}
        pages={pages}
        setPages={(f) => {
          setPages(f);
          setSelected(new Set());
        }}
      >
        {(rows) => (
          <div className="rounded border border-slate-200 bg-white px-3">
            <StackedTable columns={[...(manage ? ['Select'] : []), 'Severity', 'Alert', 'Subject', 'Occurrences', 'Last seen', 'Assignee']}>
              {rows.map((a) => (
                <tr key={a.id} data-alert-id={a.id} className={stacked.row}>
                  {manage && (
                    <Cell>
                      <input
                        type="checkbox"
                        className="size-4"
                        aria-label={`Select ${a.title}`}
                        checked={selected.has(a.id)}
                        onChange={(e) => toggle(a.id, e.target.checked)}
                      />
                    </Cell>
                  )}
                  <Cell label="Severity">
                    <SeverityBadge severity={a.severity} />
                  </Cell>
                  <Cell label="Alert">
                    <Link href={alertHref(a.id)} className="font-medium underline-offset-2 hover:underline">
                      {a.title}
                    </Link>
                    <div className="text-xs text-slate-600">
                      {DETECTOR_LABEL[a.type]} · <StatusBadge status={a.status} />
                    </div>
                  </Cell>
                  <Cell label="Subject">
                    <Subject subject={a.subject} names={names} />
                  </Cell>
                  <Cell label="Occurrences">{a.occurrences}</Cell>
                  <Cell label="Last seen" className="text-slate-700">
                    <Ago iso={a.lastSeenAt} />
                  </Cell>
                  <Cell label="Assignee" className="text-slate-700">
                    {memberName(a.assigneeId)}
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
