'use client';

import { useId, useState } from 'react';
import { errorMessage } from '@/api/client';
import { when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Label } from '@/components/ui/label';
import { Textarea } from '@/components/ui/input';
import { retention, type LegalHold } from './retention-api';

/**
 * The legal hold: while it is placed nothing of the organization's data is deleted. Placing it needs a
 * reason, and both placing and releasing ask for confirmation.
 */
export function LegalHoldPanel({ hold, manage, changed }: { hold: LegalHold; manage: boolean; changed: (hold: LegalHold) => void }) {
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const set = async (body: { enabled: boolean; reason?: string }) => {
    const answer = await retention.hold(body);
    if (!answer.data) return errorMessage(answer.error);
    setReason('');
    changed(answer.data);
    return null;
  };
  return (
    <section aria-labelledby="hold-heading" className={`rounded border p-4 text-sm ${hold.enabled ? 'border-amber-400 bg-amber-50' : 'border-slate-200 bg-white'}`}>
      <h2 id="hold-heading" className="mb-1 font-semibold">
        Legal hold
      </h2>
      {hold.enabled ? (
        <div role="status" className="mb-3 grid gap-1">
          <p>
            <strong>On hold</strong> since {when(hold.placedAt)}: nothing of the organization&apos;s data is deleted, by any retention, until the hold is
            released.
          </p>
          <p>Reason: {hold.reason}</p>
        </div>
      ) : (
        <p className="mb-3 text-slate-700">
          No hold. A legal hold stops every deletion of the organization&apos;s data (audit events, decisions, trust history, webhook logs, scans, monitoring
          counters) for a matter or an investigation, until it is released.
        </p>
      )}
      {!manage ? (
        <p className="text-xs text-slate-600">Only admins place or release a legal hold.</p>
      ) : hold.enabled ? (
        // Keyed apart: one button would otherwise fade from the red "Place" to the white "Release", with
        // text too faint to read while it does.
        <ConfirmDialog
          key="release"
          trigger={<Button variant="outline">Release legal hold</Button>}
          title="Release the legal hold?"
          description="Retention resumes: the next daily runs remove everything already past its retention, including what the hold kept."
          confirmLabel="Release hold"
          onConfirm={() => set({ enabled: false })}
        />
      ) : (
        <ConfirmDialog
          key="place"
          trigger={<Button variant="destructive">Place legal hold</Button>}
          title="Place a legal hold?"
          description="Every deletion of this organization's data stops until the hold is released. The hold and its reason are recorded in the audit log."
          confirmLabel="Place hold"
          onConfirm={() => (reason.trim() === '' ? Promise.resolve('Give the reason for the hold (the matter or case it is for).') : set({ enabled: true, reason }))}
        >
          <div className="mb-3 grid gap-1">
            <Label htmlFor={reasonId}>Reason</Label>
            <Textarea id={reasonId} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />
          </div>
        </ConfirmDialog>
      )}
    </section>
  );
}
