'use client';

import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useState, type ReactNode } from 'react';
import { api, errorMessage } from '@/api/client';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { useCan, useSession } from '@/components/session';
import { Empty, Failed, Loading } from '@/components/states';
import { Badge, PageTitle, button, when } from '@/components/ui';
import { Button } from '@/components/ui/button';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/dialog';
import { must, useApiQuery } from '@/data/query';
import { REVIEW_TOPICS, SCOPE_LABEL, isReviewId, type AccessReview } from './review-api';
import { ReviewItems } from './review-items';
import { useMemberNames } from './review-members';
import { ReviewProgress } from './review-progress';

/** One campaign: its progress, its items (decide with a note), completion or cancellation, the report. */
export function AccessReviewDetailView() {
  return (
    <Suspense fallback={<Loading what="the access review" />}>
      <ReviewDetail />
    </Suspense>
  );
}

function ReviewDetail() {
  const id = useSearchParams().get('id') ?? '';
  const can = useCan();
  const { me } = useSession();
  const manage = can.has('access_review.manage');
  const { names } = useMemberNames();
  const [notice, setNotice] = useState<Notice>(null);
  const review = useApiQuery({
    key: ['access-review', id],
    topics: REVIEW_TOPICS,
    enabled: isReviewId(id),
    fetch: async () => must(await api.GET('/api/v1/access-reviews/{reviewId}', { params: { path: { reviewId: id } } })).accessReview,
  });
  const items = useApiQuery({
    key: ['access-review-items', id],
    topics: REVIEW_TOPICS,
    enabled: isReviewId(id),
    fetch: async () => must(await api.GET('/api/v1/access-reviews/{reviewId}/items', { params: { path: { reviewId: id } } })).items,
  });

  if (!isReviewId(id))
    return (
      <Empty>
        No campaign chosen.{' '}
        <Link href="/access-reviews/" className="underline">
          Back to the access reviews
        </Link>
        .
      </Empty>
    );
  if (review.error) return <Failed message={review.error} retry={review.retry} />;
  if (!review.data) return <Loading what="the access review" />;
  const r = review.data;
  const end = async (action: 'complete' | 'cancel') => {
    const options = { params: { path: { reviewId: r.id } } };
    const { data, error } =
      action === 'complete' ? await api.POST('/api/v1/access-reviews/{reviewId}/complete', options) : await api.POST('/api/v1/access-reviews/{reviewId}/cancel', options);
    if (!data) return errorMessage(error);
    setNotice({ ok: true, text: action === 'complete' ? 'The campaign is completed.' : 'The campaign is cancelled.' });
    await Promise.all([review.refresh(), items.refresh()]);
  };
  const refreshAll = () => void Promise.all([review.refresh(), items.refresh()]);

  return (
    <section aria-labelledby="review-title" data-review={r.id}>
      <p className="mb-2 text-sm">
        <Link href="/access-reviews/" className="underline">
          Access reviews
        </Link>
      </p>
      <PageTitle id="review-title">{r.name}</PageTitle>
      <div className="flex flex-col gap-6">
        <Card aria-labelledby="summary-title">
          <CardTitle id="summary-title">Campaign</CardTitle>
          {r.description && <CardDescription>{r.description}</CardDescription>}
          <Summary review={r} names={names} />
          <NoticeLine notice={notice} />
          <div className="mt-3 flex flex-wrap gap-2">
            {manage && (
              <>
                <a className={button} href={`/api/v1/access-reviews/${r.id}/report?format=csv`} download>
                  Download report (CSV)
                </a>
                <a className={button} href={`/api/v1/access-reviews/${r.id}/report?format=json`} download={`aim-access-review-${r.id}.json`}>
                  Download report (JSON)
                </a>
              </>
            )}
            {manage && r.status === 'open' && (
              <>
                <ConfirmDialog
                  trigger={<Button variant="outline">Complete now</Button>}
                  title={`Complete “${r.name}”?`}
                  description={`Items nobody decided (${r.summary.pending}) stay pending and are reported as not reviewed; nothing is revoked. No decision can be made afterwards.`}
                  confirmLabel="Complete campaign"
                  onConfirm={() => end('complete')}
                />
                <ConfirmDialog
                  trigger={<Button variant="outline">Cancel campaign</Button>}
                  title={`Cancel “${r.name}”?`}
                  description="Its items take no more decisions; decisions already made, and their revocations, stand."
                  confirmLabel="Cancel campaign"
                  onConfirm={() => end('cancel')}
                />
              </>
            )}
          </div>
        </Card>
        <Card aria-labelledby="items-title">
          <CardTitle id="items-title">{manage ? 'Items' : 'Your items'}</CardTitle>
          {r.status !== 'open' && <CardDescription>The campaign is {r.status}: its items take no more decisions.</CardDescription>}
          <Resource query={items} what="the items" empty={<>No item of this campaign is assigned to you.</>}>
            {(rows) => (
              <ReviewItems
                items={rows}
                names={names}
                mayDecide={(item) => r.status === 'open' && (manage || item.reviewerUserId === me?.user.id)}
                onDecided={(item) => {
                  setNotice({ ok: true, text: `${item.snapshot.name}: ${item.decision}.` });
                  refreshAll();
                }}
              />
            )}
          </Resource>
        </Card>
      </div>
    </section>
  );
}

function Summary({ review: r, names }: { review: AccessReview; names: Map<string, string> }) {
  const scope = r.scope.kind === 'owner_agents' ? `${SCOPE_LABEL.owner_agents}: ${names.get(r.scope.ownerUserId) ?? r.scope.ownerUserId}` : SCOPE_LABEL[r.scope.kind];
  const facts: [string, ReactNode][] = [
    ['Status', <Badge key="s">{r.status}</Badge>],
    ['Scope', scope],
    ['Deadline', when(r.deadline)],
    ['At the deadline', r.autoRevoke ? 'what nobody reviewed is revoked' : 'what nobody reviewed is reported as not reviewed'],
    ['Started', `${when(r.createdAt)} by ${names.get(r.createdBy) ?? r.createdBy}`],
    ...(r.completedAt ? ([['Completed', `${when(r.completedAt)} (${r.completedHow === 'deadline' ? 'at the deadline' : 'by a person'})`]] as [string, string][]) : []),
    ...(r.cancelledAt ? ([['Cancelled', when(r.cancelledAt)]] as [string, string][]) : []),
  ];
  return (
    <div className="flex flex-col gap-3">
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
        {facts.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-slate-600">{label}</dt>
            <dd className="min-w-0 wrap-anywhere">{value}</dd>
          </div>
        ))}
      </dl>
      <ReviewProgress review={r} />
    </div>
  );
}
