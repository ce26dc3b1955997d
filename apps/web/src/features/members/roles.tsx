'use client';

import { Resource } from '@/components/resource-list';
import { api } from '@/api/client';
import { must, useApiQuery } from '@/data/query';
import { useCan } from '@/components/session';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';

const AREA_NAMES: Record<string, string> = {
  organization: 'Organization',
  member: 'Members',
  invitation: 'Invitations',
  api_key: 'API keys',
  domain: 'Domains',
  identity_provider: 'Identity providers',
  audit: 'Audit log',
  agent: 'Agents',
  capability: 'Capabilities',
  policy: 'Policies',
  decision: 'Decisions',
  trust: 'Trust',
};

/** GET /roles: each role with its permissions grouped by area (the part before the dot). */
export function Roles() {
  const can = useCan();
  const { data: table, error, retry } = useApiQuery({ key: ['/api/v1/roles'], topics: [], fetch: async () => must(await api.GET('/api/v1/roles')).roles });

  return (
    <Card aria-labelledby="roles-title">
      <CardTitle id="roles-title">Roles</CardTitle>
      <CardDescription>What each role may do, from the server’s permission table. An API key has a role too, at most its creator’s.</CardDescription>
      <Resource query={{ data: table, error, retry }} what="roles" empty={<>The server reported no roles.</>}>
        {(table) => (
          <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
            {table.map(({ role, permissions }) => {
              const areas = new Map<string, string[]>();
              for (const p of permissions) {
                const [area, action] = p.split('.') as [string, string];
                areas.set(area, [...(areas.get(area) ?? []), action.replaceAll('_', ' ')]);
              }
              return (
                <section key={role} aria-labelledby={`role-${role}`} data-role={role} className="min-w-0 rounded border border-slate-200 p-3">
                  <h3 id={`role-${role}`} className="mb-2 flex items-center gap-2 font-semibold">
                    {role}
                    {role === can.role && <span className="text-xs font-normal text-slate-600">(your role)</span>}
                  </h3>
                  <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
                    {[...areas].map(([area, actions]) => (
                      <div key={area} className="contents">
                        <dt className="font-medium text-slate-700">{AREA_NAMES[area] ?? area}</dt>
                        <dd className="text-slate-700">{actions.join(', ')}</dd>
                      </div>
                    ))}
                  </dl>
                </section>
              );
            })}
          </div>
        )}
      </Resource>
    </Card>
  );
}
