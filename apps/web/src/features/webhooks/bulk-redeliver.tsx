'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '@/api/client';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { DELIVERIES_KEY } from './deliveries';
import { instantOf, localInputOf, webhooks } from './webhook-api';

const deliveries = (count: number) => (count === 1 ? '1 delivery' : `${count} deliveries`);

/**
 * After an outage of the receiver: send again what failed since a time, or replay every event the
 * endpoint subscribes to from a time (within the event log's retention), as new deliveries.
 */
export function BulkRedeliver({ endpointId }: { endpointId: string }) {
  const client = useQueryClient();
  const yesterday = localInputOf(new Date(Date.now() - 86_400_000));
  const [failedSince, setFailedSince] = useState(yesterday);
  const [replaySince, setReplaySince] = useState(yesterday);
  const [replayUntil, setReplayUntil] = useState('');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);

  const run = async (e: FormEvent, call: () => Promise<{ data?: { count: number }; error?: unknown }>, done: (count: number) => string) => {
    e.preventDefault();
    setBusy(true);
    setNotice(null);
    const { data, error } = await call();
    setBusy(false);
    if (!data) return setNotice({ ok: false, text: errorMessage(error) });
    setNotice({ ok: true, text: done(data.count) });
    await client.invalidateQueries({ queryKey: [DELIVERIES_KEY] });
  };
  const invalid = (text: string) => setNotice({ ok: false, text });

  const redeliverFailed = (e: FormEvent) => {
    const since = instantOf(failedSince);
    if (!since) return (e.preventDefault(), invalid('Choose the time to redeliver failed deliveries from.'));
    void run(e, () => webhooks.redeliverFailed(endpointId, since), (n) => `${deliveries(n)} scheduled again.`);
  };
  const replay = (e: FormEvent) => {
    const since = instantOf(replaySince);
    const until = instantOf(replayUntil) ?? undefined;
    if (!since) return (e.preventDefault(), invalid('Choose the time to replay events from.'));
    if (until && until <= since) return (e.preventDefault(), invalid('The end of the replay must come after its start.'));
    void run(e, () => webhooks.replay(endpointId, since, until), (n) => `${deliveries(n)} scheduled: those events are sent again.`);
  };

  return (
    <Card aria-labelledby="bulk-title">
      <CardTitle id="bulk-title">Send again</CardTitle>
      <CardDescription>Times are in your browser&rsquo;s time zone. Receivers get each event with its original id, so they can skip what they already have.</CardDescription>
      <NoticeLine notice={notice} />
      <div className="grid gap-4 md:grid-cols-2">
        <form onSubmit={redeliverFailed} noValidate aria-labelledby="redeliver-failed-title" className="min-w-0">
          <h3 id="redeliver-failed-title" className="mb-2 font-medium">
            Redeliver failed deliveries
          </h3>
          <div className="flex flex-col gap-1">
            <Label htmlFor="failed-since">Failed since</Label>
            <Input id="failed-since" type="datetime-local" value={failedSince} onChange={(e) => setFailedSince(e.target.value)} />
          </div>
          <Button type="submit" variant="outline" className="mt-2" disabled={busy}>
            Redeliver failed
          </Button>
        </form>
        <form onSubmit={replay} noValidate aria-labelledby="replay-title" className="min-w-0">
          <h3 id="replay-title" className="mb-2 font-medium">
            Replay events
          </h3>
          <div className="flex flex-wrap gap-3">
            <div className="flex min-w-0 flex-col gap-1">
              <Label htmlFor="replay-since">From</Label>
              <Input id="replay-since" type="datetime-local" value={replaySince} onChange={(e) => setReplaySince(e.target.value)} />
            </div>
            <div className="flex min-w-0 flex-col gap-1">
              <Label htmlFor="replay-until">Until (optional: now)</Label>
              <Input id="replay-until" type="datetime-local" value={replayUntil} onChange={(e) => setReplayUntil(e.target.value)} />
            </div>
          </div>
          <Button type="submit" variant="outline" className="mt-2" disabled={busy}>
            Replay events
          </Button>
        </form>
      </div>
    </Card>
  );
}
