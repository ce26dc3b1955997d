'use client';

import { RISK_LEVELS } from '@aim/contracts';
import { Plus, Search } from 'lucide-react';
import { useMemo, useState } from 'react';
import type { components } from '@/api/schema';
import { Resource } from '@/components/resource-list';
import { useCapabilityCatalog } from '@/data/catalog';
import { useReturnFocus } from '@/components/focus';
import { useCan } from '@/components/session';
import { Empty } from '@/components/states';
import { PageTitle } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { CapabilityRow } from '@/features/capabilities/capability-row';
import { CreateCapability } from '@/features/capabilities/capability-forms';

type Capability = components['schemas']['Capability'];
type Risk = Capability['riskLevel'];

/**
 * The capability catalog: what agents may be granted. Everyone reads it; holders of capability.manage
 * add entries, change their description and risk level, and remove entries that were never granted
 * or requested (the server refuses the others with 409 capability_in_use, since grants are history).
 */
export function Catalog() {
  const can = useCan();
  const mayManage = can.has('capability.manage');
  const [query, setQuery] = useState('');
  const [risk, setRisk] = useState<Risk | ''>('');
  const [creating, setCreating] = useState(false);
  const newButton = useReturnFocus(creating);

  const { data: rows, error, retry, refresh } = useCapabilityCatalog();

  // The API answers the whole catalog; searching and filtering happen here.
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (rows ?? []).filter((c) => (!risk || c.riskLevel === risk) && (!q || c.name.includes(q) || (c.description ?? '').toLowerCase().includes(q)));
  }, [rows, query, risk]);

  return (
    <section aria-labelledby="capabilities-title" className="min-w-0">
      <PageTitle
        id="capabilities-title"
        aside={
          mayManage && !creating ? (
            <Button ref={newButton} onClick={() => setCreating(true)}>
              <Plus aria-hidden /> New capability
            </Button>
          ) : null
        }
      >
        Capabilities
      </PageTitle>
      <p className="mb-4 max-w-3xl text-sm text-slate-700">
        The organization’s catalog of actions agents may be granted, named <code>resource:action</code>. An action outside the catalog is always denied. The
        risk level decides which approval and trust policies apply; a change applies to the next decision. Resource patterns are set per grant (on an agent’s
        page), not on the catalog entry.
        {!mayManage && ' Your role reads the catalog; managers and admins change it.'}
      </p>

      {mayManage && creating && (
        <CreateCapability
          onDone={(created) => {
            setCreating(false);
            if (created) void refresh();
          }}
        />
      )}

      <div role="search" className="mb-3 mt-4 flex flex-wrap items-end gap-3">
        <div className="flex min-w-0 flex-1 flex-col gap-1">
          <label htmlFor="capability-search" className="text-sm font-medium">
            Search
          </label>
          <div className="relative min-w-0">
            <Search className="pointer-events-none absolute left-2 top-1/2 size-4 -translate-y-1/2 text-slate-400" aria-hidden />
            <Input
              id="capability-search"
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="Name or description"
              className="w-full pl-7"
            />
          </div>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="capability-risk" className="text-sm font-medium">
            Risk level
          </label>
          <Select id="capability-risk" value={risk} onChange={(e) => setRisk(e.target.value as Risk | '')}>
            <option value="">Any</option>
            {RISK_LEVELS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </Select>
        </div>
      </div>

      <Resource
        query={{ data: rows, error, retry }}
        what="the catalog"
        empty={
          mayManage ? 'The catalog is empty. Add the first capability with “New capability”.' : 'The catalog is empty: a manager or admin adds capabilities.'
        }
      >
        {(rows) =>
          shown.length === 0 ? (
            <Empty>No capability matches the search and filter.</Empty>
          ) : (
            <>
              <p className="mb-2 text-xs text-slate-600" aria-live="polite">
                {shown.length === rows.length ? '' : `${shown.length} of `}
                {rows.length} {rows.length === 1 ? 'capability' : 'capabilities'}
              </p>
              <ul className="divide-y divide-slate-100 rounded border border-slate-200 bg-white" aria-label="Capabilities">
                {shown.map((c) => (
                  <CapabilityRow key={c.id} capability={c} mayManage={mayManage} onChange={() => void refresh()} />
                ))}
              </ul>
            </>
          )
        }
      </Resource>
    </section>
  );
}
