'use client';

import { useQueryClient } from '@tanstack/react-query';
import { Pencil, Power, RotateCcw, Send, Trash2 } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage } from '@/api/client';
import type { Notice } from '@/components/organization-parts';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { DELIVERIES_KEY } from './deliveries';
import { webhooks, type Endpoint } from './webhook-api';

/** How long the previous secret keeps signing after a rotation (the receiver switches meanwhile). */
const OVERLAPS = [
  { seconds: 0, label: 'No overlap: the old secret stops now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 7 * 86_400, label: '7 days' },
];

/** What a manager does to an endpoint: edit, enable or disable, send a test event, rotate its secret, delete it. */
export function EndpointActions({
  endpoint,
  onEdit,
  onChanged,
  onSecret,
  setNotice,
}: {
  endpoint: Endpoint;
  onEdit: () => void;
  onChanged: (endpoint: Endpoint, text: string) => void;
  onSecret: (secret: string) => void;
  setNotice: (notice: Notice) => void;
}) {
  const client = useQueryClient();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [overlap, setOverlap] = useState(86_400);

  const toggle = async () => {
    setBusy(true);
    setNotice(null);
    const { data, error } = await webhooks.update(endpoint.id, { enabled: !endpoint.enabled });
    setBusy(false);
    if (!data) return setNotice({ ok: false, text: errorMessage(error) });
    onChanged(
      data.webhookEndpoint,
      data.webhookEndpoint.enabled ? 'Endpoint enabled: deliveries due meanwhile are sent now.' : 'Endpoint disabled: nothing is sent until it is enabled again.',
    );
  };
  const test = async () => {
    setBusy(true);
    setNotice(null);
    const { data, error } = await webhooks.test(endpoint.id);
    setBusy(false);
    if (!data) return setNotice({ ok: false, text: errorMessage(error) });
    setNotice({ ok: true, text: `Test event sent: delivery ${data.delivery.id} is ${data.delivery.status}. Its attempts show below.` });
    await client.invalidateQueries({ queryKey: [DELIVERIES_KEY] });
  };
  const rotate = async () => {
    const { data, error } = await webhooks.rotateSecret(endpoint.id, overlap);
    if (!data) return errorMessage(error);
    onChanged(data.webhookEndpoint, 'Secret rotated.');
    onSecret(data.secret);
  };
  const remove = async () => {
    const { error } = await webhooks.remove(endpoint.id);
    if (error) return errorMessage(error);
    await client.invalidateQueries({ queryKey: ['/api/v1/webhook-endpoints'] });
    router.push('/webhooks/');
  };

  return (
    <div className="flex flex-wrap gap-2" role="group" aria-label="Endpoint actions">
      <Button variant="outline" onClick={onEdit}>
        <Pencil aria-hidden /> Edit
      </Button>
      <Button variant="outline" disabled={busy} onClick={() => void toggle()}>
        <Power aria-hidden /> {endpoint.enabled ? 'Disable' : 'Enable'}
      </Button>
      <Button variant="outline" disabled={busy || !endpoint.enabled} onClick={() => void test()} title={endpoint.enabled ? undefined : 'Enable it first'}>
        <Send aria-hidden /> Send test event
      </Button>
      <ConfirmDialog
        trigger={
          <Button variant="outline">
            <RotateCcw aria-hidden /> Rotate secret
          </Button>
        }
        title="Rotate the signing secret?"
        description="AIM makes a new secret and shows it once. During the overlap each delivery carries a signature with the new and with the old secret, so the receiver can switch without losing any."
        confirmLabel="Rotate secret"
        onConfirm={rotate}
      >
        <div className="mb-4 flex flex-col gap-1">
          <Label htmlFor="rotate-overlap">Previous secret keeps signing for</Label>
          <Select id="rotate-overlap" value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
            {OVERLAPS.map((o) => (
              <option key={o.seconds} value={o.seconds}>
                {o.label}
              </option>
            ))}
          </Select>
        </div>
      </ConfirmDialog>
      <ConfirmDialog
        trigger={
          <Button variant="outline">
            <Trash2 aria-hidden /> Delete
          </Button>
        }
        title="Delete this endpoint?"
        description={`Nothing more is sent to ${endpoint.url}; deliveries still due are given up. This cannot be undone.`}
        confirmLabel="Delete endpoint"
        onConfirm={remove}
      />
    </div>
  );
}
