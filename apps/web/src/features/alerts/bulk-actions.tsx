'use client';

import { useState } from 'react';
import { errorMessage } from '@/api/client';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { alerts, type BulkResult } from './alert-api';

/**
 * What to do with the alerts chosen on the page: acknowledge them, or resolve them (behind a
 * confirmation). One request (POST /api/v1/alerts/bulk) answers per alert; what failed stays chosen
 * and its reason is shown (an alert already resolved cannot be acknowledged, for instance).
 */
export function BulkActions({
  chosen,
  allChosen,
  chooseAll,
  done,
}: {
  chosen: string[];
  allChosen: boolean;
  chooseAll: (on: boolean) => void;
  /** After a change: the alerts that failed stay chosen. */
  done: (failed: string[]) => void;
}) {
  const [notice, setNotice] = useState<{ text: string; failed: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: 'acknowledge' | 'resolve'): Promise<string | null> => {
    setBusy(true);
    try {
      const answer = await alerts.bulk(chosen, action);
      if (!answer.data) return errorMessage(answer.error);
      const { text, failed } = describe(answer.data, action === 'acknowledge' ? 'acknowledged' : 'resolved');
      setNotice({ text, failed: failed.length > 0 });
      done(failed);
      return null;
    } finally {
      setBusy(false);
    }
  };
  const n = chosen.length;
  const label = `${n} alert${n === 1 ? '' : 's'}`;

  return (
    <div className="mb-3 rounded border border-slate-200 bg-white p-3 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <label className="mr-auto flex items-center gap-2">
          <input type="checkbox" className="size-4" checked={allChosen && n > 0} onChange={(e) => chooseAll(e.target.checked)} />
          Select every alert on this page
        </label>
        <span aria-live="polite" className="text-slate-700">
          {n === 0 ? 'None selected' : `${label} selected`}
        </span>
        <Button
          variant="outline"
          disabled={n === 0 || busy}
          onClick={() =>
            void run('acknowledge').then((failed) => {
              if (failed) setNotice({ text: failed, failed: true });
            })
          }
        >
          Acknowledge selected
        </Button>
        <ConfirmDialog
          trigger={
            <Button variant="outline" disabled={n === 0 || busy}>
              Resolve selected…
            </Button>
          }
          title={`Resolve ${label}?`}
          description="Resolved alerts leave the active list. A repeat of the same finding raises a new alert; you can reopen these from their pages."
          confirmLabel={`Resolve ${label}`}
          onConfirm={() => run('resolve')}
        />
      </div>
      {notice && (
        <p role={notice.failed ? 'alert' : 'status'} className={`mt-2 wrap-anywhere ${notice.failed ? 'text-red-800' : 'text-emerald-800'}`}>
          {notice.text}
        </p>
      )}
    </div>
  );
}

/** "2 alerts acknowledged." plus, for those that failed, each one's reason. */
function describe(result: BulkResult, verb: string): { text: string; failed: string[] } {
  const ok = result.results.filter((r) => r.ok).length;
  const failed = result.results.filter((r) => !r.ok);
  const reasons = [...new Set(failed.map((r) => r.error?.message ?? 'failed'))];
  const text =
    `${ok} alert${ok === 1 ? '' : 's'} ${verb}.` + (failed.length ? ` ${failed.length} could not be ${verb}: ${reasons.join(' ')}` : '');
  return { text, failed: failed.map((r) => r.alertId) };
}
