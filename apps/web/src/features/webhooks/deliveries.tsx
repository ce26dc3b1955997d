'use client';

import { DOMAIN_EVENT_TYPES, WEBHOOK_DELIVERY_STATUSES } from '@aim/contracts';
import { useState } from 'react';
import { errorMessage } from '@/api/client';
import { ChoiceFilter } from '@/components/filters';
import { Cell, NoticeLine, StackedTable, stacked, type Notice } from '@/components/organization-parts';
import { KeysetList } from '@/components/resource-list';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { must, useListQuery } from '@/data/query';
import { DeliveryAttempts } from './delivery-attempts';
import { webhooks, type Delivery, type WebhookDeliveryStatus } from './webhook-api';

/** The deliveries list's cache key (a test event refreshes it). */
export const DELIVERIES_KEY = 'webhook-deliveries';
/** Deliveries change with every attempt, which the live stream does not announce: read them again this often. */
const POLL_MS = 3000;

/** What the last attempt of a delivery got: its status code, its error, or nothing yet. */
export function lastOutcome(d: Delivery): string {
  if (d.attempts === 0) return 'not tried yet';
  const code = d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : null;
  return [code, d.lastError].filter(Boolean).join(': ') || 'answered';
}

/** An endpoint's deliveries, newest first, live; each one's attempts, and a redelivery for holders of webhook.manage. */
export function Deliveries({ endpointId, mayManage }: { endpointId: string; mayManage: boolean }) {
  const [status, setStatus] = useState<WebhookDeliveryStatus | ''>('');
  const [eventType, setEventType] = useState('');
  const [pages, setPages] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const cursor = pages.at(-1);

  const list = useListQuery({
    name: DELIVERIES_KEY,
    topics: ['webhook_endpoint', 'webhook_delivery'],
    refetchIntervalMs: POLL_MS,
    params: { endpointId, limit: 25, ...(status ? { status } : {}), ...(eventType ? { eventType } : {}), ...(cursor ? { cursor } : {}) },
    fetch: async ({ endpointId: id, ...query }) => {
      const page = must(await webhooks.deliveries(id, query));
      return { rows: page.deliveries, next: page.nextCursor };
    },
  });

  const redeliver = async (d: Delivery) => {
    setNotice(null);
    const { data, error } = await webhooks.redeliver(endpointId, d.id);
    if (!data) return setNotice({ ok: false, text: errorMessage(error) });
    setNotice({ ok: true, text: `Delivery of ${d.eventType} scheduled again: it goes out now.` });
    setOpen(d.id);
    await list.refresh();
  };
  const restart = <V,>(set: (v: V) => void) => (v: V) => {
    set(v);
    setPages([]);
  };

  return (
    <Card aria-labelledby="deliveries-title">
      <CardTitle id="deliveries-title">Deliveries</CardTitle>
      <CardDescription>Newest first, refreshed every few seconds while this page is open. Each delivery is retried until answered with 2xx.</CardDescription>
      <div className="mb-3 flex flex-wrap gap-3">
        <ChoiceFilter label="Status" value={status} choices={WEBHOOK_DELIVERY_STATUSES} onChange={restart(setStatus)} />
        <ChoiceFilter label="Event type" value={eventType} choices={DOMAIN_EVENT_TYPES} onChange={restart(setEventType)} />
      </div>
      <NoticeLine notice={notice} />
      <KeysetList
        list={list}
        what="deliveries"
        empty={status || eventType ? <>No delivery matches.</> : <>No deliveries yet. Events the endpoint subscribes to, and test events, show here.</>}
        pages={pages}
        setPages={setPages}
      >
        {(rows) => (
          <StackedTable columns={['Event type', 'Status', 'Attempts', 'Last attempt', 'Next attempt', 'Created']} actions>
            {rows.map((d) => (
              <tr key={d.id} data-delivery-id={d.id} className={stacked.row}>
                <Cell className="font-medium">
                  <code className="text-xs">{d.eventType}</code>
                </Cell>
                <Cell label="Status">
                  <Badge>{d.status}</Badge>
                </Cell>
                <Cell label="Attempts" className="tabular-nums">
                  {d.attempts}
                </Cell>
                <Cell label="Last attempt">
                  <span className="text-xs">
                    {lastOutcome(d)}
                    {d.lastAttemptAt && <span className="block text-slate-600">{when(d.lastAttemptAt)}</span>}
                  </span>
                </Cell>
                <Cell label="Next attempt" className="md:whitespace-nowrap">
                  {d.nextAttemptAt ? when(d.nextAttemptAt) : '—'}
                </Cell>
                <Cell label="Created" className="md:whitespace-nowrap">
                  {when(d.createdAt)}
                </Cell>
                <Cell>
                  <span className="flex flex-wrap gap-1">
                    <Button
                      variant="outline"
                      size="sm"
                      aria-expanded={open === d.id}
                      aria-controls="delivery-attempts"
                      aria-label={`Attempts of ${d.eventType} delivery ${d.id}`}
                      onClick={() => setOpen(open === d.id ? null : d.id)}
                    >
                      Attempts
                    </Button>
                    {mayManage && d.status !== 'pending' && (
                      <Button variant="outline" size="sm" aria-label={`Redeliver ${d.eventType} delivery ${d.id}`} onClick={() => void redeliver(d)}>
                        Redeliver
                      </Button>
                    )}
                  </span>
                </Cell>
              </tr>
            ))}
          </StackedTable>
        )}
      </KeysetList>
      {open && <DeliveryAttempts endpointId={endpointId} deliveryId={open} close={() => setOpen(null)} />}
    </Card>
  );
}
