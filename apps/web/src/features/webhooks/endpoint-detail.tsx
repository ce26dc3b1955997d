'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState, type ReactNode } from 'react';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Loading } from '@/components/states';
import { PageTitle, when } from '@/components/ui';
import { Card, CardTitle } from '@/components/ui/card';
import { must, useApiQuery } from '@/data/query';
import { SecretShownOnce } from './create-endpoint';
import { BulkRedeliver } from './bulk-redeliver';
import { Deliveries } from './deliveries';
import { EndpointActions } from './endpoint-actions';
import { EditEndpoint } from './endpoint-edit';
import { EndpointState, WebhooksPage } from './endpoint-list';
import { eventTypesText } from './event-types';
import { webhooks, type Endpoint } from './webhook-api';

/** One webhook endpoint (`?id=`): its settings and state, the changes a manager makes, and its deliveries, live. */
export function EndpointDetailView() {
  const can = useCan();
  if (!can.webhooks) return <WebhooksPage />;
  return (
    <Suspense fallback={<Loading what="the endpoint" />}>
      <EndpointDetail />
    </Suspense>
  );
}

function EndpointDetail() {
  const id = useSearchParams().get('id') ?? '';
  const can = useCan();
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const query = useApiQuery({
    key: ['webhook-endpoint', id],
    topics: ['webhook_endpoint'],
    // Failures and AIM disabling the endpoint happen without anyone on the page: read again now and then.
    refetchIntervalMs: 10_000,
    fetch: async () => must(await webhooks.get(id)).webhookEndpoint,
  });
  const changed = (endpoint: Endpoint, text?: string) => {
    query.set(endpoint);
    if (text) setNotice({ ok: true, text });
  };

  return (
    <section aria-labelledby="endpoint-title" className="min-w-0">
      <p className="mb-2 text-sm">
        <Link href="/webhooks/" className="underline">
          ← Webhooks
        </Link>
      </p>
      <Resource query={query} what="the endpoint">
        {(endpoint) => (
          <div className="flex flex-col gap-6">
            <div>
              <PageTitle id="endpoint-title">
                <span className="wrap-anywhere">{endpoint.url}</span>
              </PageTitle>
              {can.manageWebhooks && !editing && (
                <EndpointActions endpoint={endpoint} onEdit={() => setEditing(true)} onChanged={changed} onSecret={setSecret} setNotice={setNotice} />
              )}
            </div>
            <NoticeLine notice={notice} />
            {secret && <SecretShownOnce title="New signing secret" secret={secret} dismiss={() => setSecret(null)} />}
            {editing ? (
              <EditEndpoint
                endpoint={endpoint}
                onDone={(updated) => {
                  setEditing(false);
                  if (updated) changed(updated, 'Endpoint saved.');
                }}
              />
            ) : (
              <Settings endpoint={endpoint} />
            )}
            <Deliveries endpointId={endpoint.id} mayManage={can.manageWebhooks} />
            {can.manageWebhooks && <BulkRedeliver endpointId={endpoint.id} />}
          </div>
        )}
      </Resource>
    </section>
  );
}

function Settings({ endpoint: e }: { endpoint: Endpoint }) {
  const overlapping = e.previousSecretExpiresAt && new Date(e.previousSecretExpiresAt).getTime() > Date.now();
  return (
    <Card aria-labelledby="endpoint-settings-title">
      <CardTitle id="endpoint-settings-title">Endpoint</CardTitle>
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Item label="State">
          <EndpointState endpoint={e} />
        </Item>
        <Item label="Description">{e.description ?? '—'}</Item>
        <Item label="Event types">{eventTypesText(e.eventTypes)}</Item>
        <Item label="Signing secret">
          {e.secretRotatedAt ? `rotated ${when(e.secretRotatedAt)}` : 'the one made when the endpoint was added'}
          {overlapping && <span className="block text-xs text-slate-700">The previous secret signs too until {when(e.previousSecretExpiresAt)}.</span>}
        </Item>
        <Item label="Created">{when(e.createdAt)}</Item>
        <Item label="Changed">{when(e.updatedAt)}</Item>
        <Item label="Id">
          <code className="text-xs">{e.id}</code>
        </Item>
      </dl>
    </Card>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="wrap-anywhere">{children}</dd>
    </div>
  );
}
