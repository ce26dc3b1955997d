'use client';

import { Plus } from 'lucide-react';
import Link from 'next/link';
import { useState } from 'react';
import { ChoiceFilter } from '@/components/filters';
import { useReturnFocus } from '@/components/focus';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { KeysetList } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Badge, PageTitle, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { must, useListQuery } from '@/data/query';
import { CreateEndpoint, SecretShownOnce } from './create-endpoint';
import { eventTypesText } from './event-types';
import { webhooks, type Endpoint } from './webhook-api';

/** How often the list is read again while open: AIM disables failing endpoints by itself. */
const POLL_MS = 10_000;

/** The organization's webhook endpoints (webhook.read: managers and admins); holders of webhook.manage add them. */
export function WebhooksPage() {
  const can = useCan();
  if (!can.webhooks) {
    return (
      <section aria-labelledby="webhooks-title">
        <PageTitle id="webhooks-title">Webhooks</PageTitle>
        <p role="note" className="rounded border border-slate-200 bg-white p-4 text-sm text-slate-700">
          Webhooks are managed by managers and admins. Your role ({can.role ?? 'none'}) cannot see them.
        </p>
      </section>
    );
  }
  return <EndpointList />;
}

/** An endpoint's state in a word: disabled, failing (since its first failure in a row) or enabled. */
export function stateOf(e: Endpoint): 'enabled' | 'disabled' | 'failing' {
  if (!e.enabled) return 'disabled';
  return e.failingSince ? 'failing' : 'enabled';
}

export function EndpointState({ endpoint }: { endpoint: Endpoint }) {
  return (
    <span>
      <Badge>{stateOf(endpoint)}</Badge>
      {!endpoint.enabled && endpoint.disabledReason && <span className="ml-1 text-xs text-slate-700 md:ml-0 md:block">{endpoint.disabledReason}</span>}
      {endpoint.failingSince && <span className="ml-1 text-xs text-slate-700 md:ml-0 md:block">failing since {when(endpoint.failingSince)}</span>}
    </span>
  );
}

function EndpointList() {
  const can = useCan();
  const [enabled, setEnabled] = useState<'true' | 'false' | ''>('');
  const [pages, setPages] = useState<string[]>([]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ webhookEndpoint: Endpoint; secret: string } | null>(null);
  // Back to "Add endpoint" when the form closes: cancelled, or saved and its secret dismissed (the secret takes focus first).
  const addButton = useReturnFocus(creating || created !== null);
  const cursor = pages.at(-1);

  const list = useListQuery({
    name: '/api/v1/webhook-endpoints',
    topics: ['webhook_endpoint'],
    refetchIntervalMs: POLL_MS,
    params: { limit: 50, ...(enabled ? { enabled } : {}), ...(cursor ? { cursor } : {}) },
    fetch: async (query) => {
      const page = must(await webhooks.list(query));
      return { rows: page.webhookEndpoints, next: page.nextCursor };
    },
  });

  return (
    <section aria-labelledby="webhooks-title" className="min-w-0">
      <PageTitle
        id="webhooks-title"
        aside={
          can.manageWebhooks && !creating ? (
            <Button ref={addButton} onClick={() => setCreating(true)}>
              <Plus aria-hidden /> Add endpoint
            </Button>
          ) : null
        }
      >
        Webhooks
      </PageTitle>
      <p className="mb-4 max-w-3xl text-sm text-slate-700">
        AIM sends the organization&rsquo;s events (decisions, violations, trust changes, capability requests, …) to these addresses as they happen, each
        delivery signed and retried until it is answered with 2xx. An endpoint that keeps failing for days is disabled, and its managers are told.
      </p>
      <div className="flex flex-col gap-6">
        {creating && (
          <CreateEndpoint
            onCancel={() => setCreating(false)}
            onCreated={(c) => {
              setCreating(false);
              setCreated(c);
              void list.refresh();
            }}
          />
        )}
        {created && (
          <div>
            <SecretShownOnce title={`Endpoint added: ${created.webhookEndpoint.url}`} secret={created.secret} dismiss={() => setCreated(null)} />
            <p className="mt-2 text-sm">
              <Link href={`/webhooks/detail/?id=${encodeURIComponent(created.webhookEndpoint.id)}`} className="underline">
                Open the endpoint
              </Link>{' '}
              to send it a test event.
            </p>
          </div>
        )}
        <div className="min-w-0 rounded border border-slate-200 bg-white p-4">
          <div className="mb-3 flex flex-wrap gap-3">
            <ChoiceFilter
              label="State"
              value={enabled}
              choices={[
                { value: 'true', label: 'Enabled' },
                { value: 'false', label: 'Disabled' },
              ]}
              onChange={(v) => {
                setEnabled(v);
                setPages([]);
              }}
            />
          </div>
          <KeysetList
            list={list}
            what="webhook endpoints"
            empty={enabled ? <>No endpoint matches.</> : <>No webhook endpoints yet.{can.manageWebhooks ? ' Add one to receive events.' : ''}</>}
            pages={pages}
            setPages={setPages}
          >
            {(rows) => (
              <StackedTable columns={['URL', 'Description', 'Event types', 'State', 'Created']}>
                {rows.map((e) => (
                  <tr key={e.id} data-endpoint-id={e.id} className={stacked.row}>
                    <Cell className="font-medium">
                      <Link href={`/webhooks/detail/?id=${encodeURIComponent(e.id)}`} className="wrap-anywhere underline">
                        {e.url}
                      </Link>
                    </Cell>
                    <Cell label="Description">{e.description ?? '—'}</Cell>
                    <Cell label="Event types">
                      <span className="text-xs">{eventTypesText(e.eventTypes)}</span>
                    </Cell>
                    <Cell label="State">
                      <EndpointState endpoint={e} />
                    </Cell>
                    <Cell label="Created" className="md:whitespace-nowrap">
                      {when(e.createdAt)}
                    </Cell>
                  </tr>
                ))}
              </StackedTable>
            )}
          </KeysetList>
        </div>
      </div>
    </section>
  );
}
