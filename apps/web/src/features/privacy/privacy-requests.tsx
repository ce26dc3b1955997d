'use client';

import { api } from '@/api/client';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { must, useApiQuery } from '@/data/query';
import { Badge, when } from '@/components/ui';
import { Card, CardTitle } from '@/components/ui/card';

/** The record of exports and erasures (the last 200). */
export function PrivacyRequests({ version }: { version: number }) {
  const { data, error, retry } = useApiQuery({
    key: ['/api/v1/privacy/requests', version],
    topics: ['user', 'member', 'membership'],
    fetch: async () => must(await api.GET('/api/v1/privacy/requests')).requests,
  });
  return (
    <Card aria-labelledby="privacy-requests-title">
      <CardTitle id="privacy-requests-title">Requests</CardTitle>
      <Resource query={{ data, error, retry }} what="privacy requests" empty={<>No export or erasure yet.</>}>
        {(rows) => (
          <StackedTable columns={['When', 'Kind', 'Person', 'Requested by']}>
            {rows.map((r) => (
              <tr key={r.id} data-request-id={r.id} className={stacked.row}>
                <Cell className="md:whitespace-nowrap">{when(r.createdAt)}</Cell>
                <Cell label="Kind">
                  <Badge>{r.kind}</Badge>
                </Cell>
                <Cell label="Person">
                  <code className="text-xs">{r.userId}</code>
                </Cell>
                <Cell label="Requested by">
                  <code className="text-xs">{r.requestedBy}</code>
                </Cell>
              </tr>
            ))}
          </StackedTable>
        )}
      </Resource>
    </Card>
  );
}
