'use client';

import { useState } from 'react';
import { useAgentNames } from '@/components/agent-names';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { KeysetList } from '@/components/resource-list';
import { must, useListQuery } from '@/data/query';
import { DETECTOR_LABEL, alerts } from '@/features/alerts/alert-api';
import { Ago, SeverityBadge, Subject } from '@/features/alerts/alert-parts';

/**
 * What behavioural detectors would have raised while agents were learning (no alert, no notification,
 * never counted against the agent): a way to judge the thresholds before the learning period ends.
 */
export function LearningFindings() {
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages.at(-1);
  const list = useListQuery({
    name: '/api/v1/monitoring/learning-findings',
    topics: ['alert', 'agent'],
    params: { limit: 25, ...(cursor ? { cursor } : {}) },
    fetch: async (query) => {
      const data = must(await alerts.findings(query));
      return { rows: data.findings, next: data.nextCursor };
    },
  });
  const names = useAgentNames((list.rows ?? []).map((f) => f.agentId));
  return (
    <section aria-labelledby="findings-heading" className="mt-8">
      <h2 id="findings-heading" className="mb-1 text-lg font-semibold">
        Learning findings
      </h2>
      <p className="mb-2 text-sm text-slate-600">What detectors would have raised during agents&apos; learning days. These raised no alert.</p>
      <KeysetList list={list} what="learning findings" empty="Nothing found while agents were learning." pages={pages} setPages={setPages}>
        {(rows) => (
          <div className="rounded border border-slate-200 bg-white px-3">
            <StackedTable columns={['Severity', 'Finding', 'Agent', 'Occurrences', 'Last seen']}>
              {rows.map((f) => (
                <tr key={f.dedupKey} data-finding={f.dedupKey} className={stacked.row}>
                  <Cell label="Severity">
                    <SeverityBadge severity={f.severity} />
                  </Cell>
                  <Cell label="Finding">
                    <span className="font-medium">{f.title}</span>
                    <div className="text-xs text-slate-600">
                      {DETECTOR_LABEL[f.type]} · {f.summary}
                    </div>
                  </Cell>
                  <Cell label="Agent">
                    <Subject subject={{ type: 'agent', id: f.agentId }} names={names} />
                  </Cell>
                  <Cell label="Occurrences">{f.occurrences}</Cell>
                  <Cell label="Last seen">
                    <Ago iso={f.lastSeenAt} />
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
