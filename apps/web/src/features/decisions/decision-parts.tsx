'use client';

import { resolveDecisionSchema } from '@aim/contracts';
import Link from 'next/link';
import { api, errorMessage } from '@/api/client';
import type { components } from '@/api/schema';
import { must, useApiQuery } from '@/data/query';
import { Field, FormAlert, blank, failWith, useSchemaForm } from '@/components/form';
import { useCan } from '@/components/session';
import { Badge, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';

/**
 * What an approver sees of a decision (the pending list and the decision's own page): the action, the
 * resource, the risk, the context the agent sent (as text), the agent's trust then and now, and its
 * recent decisions; and the approve and reject controls, which ask again before a high- or
 * critical-risk action is approved.
 */
type Decision = components['schemas']['Decision'];
type Trust = components['schemas']['TrustScore'];

export const decisionHref = (id: string) => `/decisions/detail/?id=${encodeURIComponent(id)}`;
export const agentHref = (id: string) => `/agents/detail/?id=${encodeURIComponent(id)}`;

/** High and critical risk: approving takes a second, explicit step. */
export const needsConfirmation = (d: Pick<Decision, 'risk'>) => d.risk === 'high' || d.risk === 'critical';

const score = (n: number | null | undefined) => (n === null || n === undefined ? 'not scored' : n.toFixed(1));
const share = (n: number | null | undefined) => (n === null || n === undefined ? '' : ` (confidence ${Math.round(n * 100)}%)`);

/** The agent's latest trust score (GET /agents/{id}/trust), refreshed when the agent changes. */
function useTrust(agentId: string): { trust: Trust | null; error: string | null } {
  const { data, error } = useApiQuery({
    key: ['/api/v1/agents/{agentId}/trust', agentId],
    topics: ['agent'],
    fetch: async () => must(await api.GET('/api/v1/agents/{agentId}/trust', { params: { path: { agentId } } })).trust,
  });
  return { trust: data, error };
}

/** The agent's latest decisions besides this one. */
function useRecentDecisions(agentId: string, except: string): { recent: Decision[] | null; error: string | null } {
  const { data, error } = useApiQuery({
    key: ['recent-decisions', agentId, except],
    topics: ['decision'],
    fetch: async () => must(await api.GET('/api/v1/decisions', { params: { query: { agentId, limit: 6 } } })).decisions.filter((d) => d.id !== except).slice(0, 5),
  });
  return { recent: data, error };
}

/** The context the agent sent, as indented JSON text (never as markup). */
export function ContextBlock({ context, id }: { context: Record<string, unknown>; id: string }) {
  const keys = Object.keys(context);
  if (keys.length === 0) return <p className="text-xs text-slate-600">The agent sent no context.</p>;
  return (
    <pre
      tabIndex={0}
      aria-label="Context the agent sent"
      data-decision-context={id}
      className="max-h-64 overflow-auto rounded border border-slate-200 bg-slate-50 p-2 font-mono text-xs whitespace-pre-wrap break-all text-slate-800"
    >
      {JSON.stringify(context, null, 2)}
    </pre>
  );
}

/** Who asks and how far they are trusted: the agent, its trust at decision time and now, its recent decisions. */
export function ApprovalContext({ decision: d, agentName }: { decision: Decision; agentName: string | undefined }) {
  const { trust, error } = useTrust(d.agentId);
  const { recent, error: recentError } = useRecentDecisions(d.agentId, d.id);
  return (
    <div className="mt-2 grid gap-3 text-xs text-slate-700 md:grid-cols-2">
      <dl className="grid grid-cols-[7rem_minmax(0,1fr)] gap-x-2 gap-y-1">
        <dt className="text-slate-500">Agent</dt>
        <dd className="min-w-0 wrap-anywhere">
          <Link href={agentHref(d.agentId)} className="font-medium underline" title={d.agentId}>
            {agentName ?? d.agentId}
          </Link>
        </dd>
        <dt className="text-slate-500">Risk</dt>
        <dd>
          <Badge>{d.risk ?? 'unknown'}</Badge>
          {d.declaredRisk && d.declaredRisk !== d.risk ? <span className="ml-1">(the agent declared {d.declaredRisk})</span> : null}
        </dd>
        <dt className="text-slate-500">Trust now</dt>
        <dd data-testid="trust-now">
          {error ? (
            <span className="text-red-800">{error}</span>
          ) : trust ? (
            <>
              <Badge>{trust.tier}</Badge> {score(trust.score)}
              {share(trust.confidence)}
            </>
          ) : (
            'loading…'
          )}
        </dd>
        <dt className="text-slate-500">Trust then</dt>
        <dd>
          {score(d.trust.score)}
          {share(d.trust.confidence)}
        </dd>
      </dl>
      <div className="min-w-0">
        <div className="mb-1 text-slate-500">Its recent decisions</div>
        {recentError ? (
          <p className="text-red-800">{recentError}</p>
        ) : recent === null ? (
          <p>loading…</p>
        ) : recent.length === 0 ? (
          <p>None before this one.</p>
        ) : (
          <ul className="space-y-0.5" aria-label={`Recent decisions of ${agentName ?? d.agentId}`}>
            {recent.map((r) => (
              <li key={r.id} className="flex min-w-0 flex-wrap items-baseline gap-x-2">
                <Link href={decisionHref(r.id)} className="font-mono wrap-anywhere underline">
                  {r.action}
                </Link>
                <Badge>{r.status}</Badge>
                <span className="text-slate-500">{when(r.createdAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

/**
 * Approve or reject a pending decision (decision.approve). A failed answer (e.g. 409: the decision
 * changed, or approving it again no longer holds) is shown here and reported to `done`, so the page can
 * keep the message when the decision leaves the list.
 */
export function ResolveDecision({ decision: d, label, done }: { decision: Decision; label: string; done: (error?: string) => void }) {
  const can = useCan();
  const form = useSchemaForm(resolveDecisionSchema);
  const { register, formState } = form;
  if (!can.has('decision.approve')) return null;

  const send = (how: 'approve' | 'reject') => async (body: { note?: string | undefined }) => {
    const options = { params: { path: { decisionId: d.id } }, body };
    const { error } =
      how === 'approve'
        ? await api.POST('/api/v1/decisions/{decisionId}/approve', options)
        : await api.POST('/api/v1/decisions/{decisionId}/reject', options);
    if (error) {
      failWith(form, error);
      done(`${how === 'approve' ? 'Approving' : 'Rejecting'} ${label} failed: ${errorMessage(error)}`);
      return;
    }
    done();
  };
  const approve = form.handleSubmit(send('approve'));
  const reject = form.handleSubmit(send('reject'));

  return (
    <>
      <form noValidate onSubmit={(e) => e.preventDefault()} className="mt-2 flex flex-wrap items-end gap-2" aria-label={`Answer ${label}`}>
        <Field id={`decision-note-${d.id}`} label="Note (optional)" error={formState.errors.note?.message} className="min-w-[10rem] flex-1">
          {(aria) => <Input {...aria} {...register('note', blank)} />}
        </Field>
        {needsConfirmation(d) ? (
          <ConfirmDialog
            trigger={
              <Button disabled={formState.isSubmitting} aria-label={`Approve ${label}`}>
                Approve…
              </Button>
            }
            title={`Approve a ${d.risk}-risk action?`}
            description={
              <>
                <span className="font-mono">{d.action}</span>
                {d.resource ? (
                  <>
                    {' on '}
                    <span className="font-mono">{d.resource}</span>
                  </>
                ) : null}{' '}
                is {d.risk} risk. The agent goes ahead as soon as you approve, and your approval is recorded in the audit log.
              </>
            }
            confirmLabel="Yes, approve"
            onConfirm={async () => {
              await approve();
            }}
          />
        ) : (
          <Button disabled={formState.isSubmitting} onClick={(e) => void approve(e)} aria-label={`Approve ${label}`}>
            Approve
          </Button>
        )}
        <Button variant="destructive" disabled={formState.isSubmitting} onClick={(e) => void reject(e)} aria-label={`Reject ${label}`}>
          Reject
        </Button>
      </form>
      <div className="mt-2">
        <FormAlert form={form} />
      </div>
    </>
  );
}
