'use client';

import { useEffect, useRef } from 'react';
import { Resource } from '@/components/resource-list';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { must, useApiQuery } from '@/data/query';
import { webhooks } from './webhook-api';

/** One delivery's attempts, oldest first: when, the answer (status, time taken, the start of its body) or why none came. */
export function DeliveryAttempts({ endpointId, deliveryId, close }: { endpointId: string; deliveryId: string; close: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [deliveryId]);
  const query = useApiQuery({
    key: ['webhook-delivery', endpointId, deliveryId],
    topics: ['webhook_delivery'],
    refetchIntervalMs: 3000,
    fetch: async () => must(await webhooks.delivery(endpointId, deliveryId)),
  });
  return (
    <div id="delivery-attempts" role="region" aria-labelledby="delivery-attempts-title" className="mt-4 rounded border border-slate-300 bg-slate-50 p-3 text-sm">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <h3 id="delivery-attempts-title" ref={heading} tabIndex={-1} className="mr-auto font-semibold">
          Attempts of delivery <code className="text-xs font-normal wrap-anywhere">{deliveryId}</code>
        </h3>
        <Button variant="outline" size="sm" onClick={close}>
          Close
        </Button>
      </div>
      <Resource query={query} what="the attempts">
        {({ delivery, attemptLog }) => (
          <>
            <p className="mb-2 text-slate-700">
              <code className="text-xs">{delivery.eventType}</code> · event <code className="text-xs wrap-anywhere">{delivery.eventId}</code> ·{' '}
              <Badge>{delivery.status}</Badge>
              {delivery.nextAttemptAt && <> · next attempt {when(delivery.nextAttemptAt)}</>}
            </p>
            {attemptLog.length === 0 ? (
              <p className="text-slate-600">No attempt yet: it goes out shortly.</p>
            ) : (
              <ol className="space-y-2" aria-label="Attempts, oldest first">
                {attemptLog.map((a, i) => (
                  <li key={`${a.attemptedAt}-${i}`} data-attempt className="rounded border border-slate-200 bg-white p-2">
                    <div className="flex flex-wrap items-center gap-2">
                      <span className="font-medium">#{i + 1}</span>
                      <span>{when(a.attemptedAt)}</span>
                      <Badge>{a.errorCode ? 'failed' : 'succeeded'}</Badge>
                      {a.statusCode !== null && <span>HTTP {a.statusCode}</span>}
                      <span className="text-slate-600">{a.latencyMs} ms</span>
                    </div>
                    {a.error && (
                      <p className="mt-1 text-red-800">
                        {a.error} {a.errorCode && <code className="text-xs">({a.errorCode})</code>}
                      </p>
                    )}
                    {a.responseExcerpt && (
                      <pre className="mt-1 max-h-40 overflow-auto whitespace-pre-wrap wrap-anywhere rounded bg-slate-100 p-2 font-mono text-xs" aria-label="Start of the answer">
                        {a.responseExcerpt}
                      </pre>
                    )}
                  </li>
                ))}
              </ol>
            )}
          </>
        )}
      </Resource>
    </div>
  );
}
