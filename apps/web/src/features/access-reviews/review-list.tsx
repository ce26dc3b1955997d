'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useState } from 'react';
import { api } from '@/api/client';
import { Cell, NoticeLine, StackedTable, stacked, type Notice } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { useCan } from '@/components/session';
import { Loading } from '@/components/states';
import { Badge, PageTitle, when } from '@/components/ui';
import { Card, CardTitle } from '@/components/ui/card';
import { must, useApiQuery } from '@/data/query';
import { CreateReview } from './create-review';
import { REVIEW_TOPICS, SCOPE_LABEL, reviewHref } from './review-api';
import { ReviewInbox } from './review-inbox';
import { useMemberNames } from './review-members';
import { ReviewProgress } from './review-progress';

/** Access reviews: the campaigns with their progress and the form to start one; the reviewer's inbox in its own tab. */
export function AccessReviews() {
  return (
    <Suspense fallback={<Loading what="access reviews" />}>
      <AccessReviewsPage />
    </Suspense>
  );
}

const TABS = [
  { id: 'campaigns', label: 'Campaigns' },
  { id: 'inbox', label: 'Your inbox' },
] as const;

function AccessReviewsPage() {
  const tab = useSearchParams().get('tab') === 'inbox' ? 'inbox' : 'campaigns';
  const router = useRouter();
  // The inbox's count beside its tab (the same query the inbox reads).
  const inbox = useApiQuery({
    key: ['/api/v1/me/access-review-items'],
    topics: REVIEW_TOPICS,
    fetch: async () => must(await api.GET('/api/v1/me/access-review-items')).items,
  });
  const waiting = inbox.data?.length ?? 0;
  return (
    <section aria-labelledby="reviews-title">
      <PageTitle id="reviews-title">Access reviews</PageTitle>
      <nav aria-label="Access review views" className="mb-4 flex gap-2">
        {TABS.map((t) => (
          <Link
            key={t.id}
            href={t.id === 'inbox' ? '/access-reviews/?tab=inbox' : '/access-reviews/'}
            aria-current={tab === t.id ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              router.replace(t.id === 'inbox' ? '/access-reviews/?tab=inbox' : '/access-reviews/');
            }}
            className={`rounded border px-3 py-1 text-sm ${tab === t.id ? 'border-blue-700 bg-blue-50 font-semibold text-blue-900' : 'border-slate-300 text-slate-800'}`}
          >
            {t.label}
            {t.id === 'inbox' && waiting > 0 ? ` (${waiting} waiting)` : ''}
          </Link>
        ))}
      </nav>
      {tab === 'inbox' ? <ReviewInbox /> : <Campaigns />}
    </section>
  );
}

function Campaigns() {
  const can = useCan();
  const { members } = useMemberNames();
  const [notice, setNotice] = useState<Notice>(null);
  const list = useApiQuery({
    key: ['/api/v1/access-reviews'],
    topics: REVIEW_TOPICS,
    fetch: async () => must(await api.GET('/api/v1/access-reviews')).accessReviews,
  });
  const reviewers = members.filter((m) => m.role !== 'viewer');
  return (
    <div className="flex flex-col gap-6">
      {can.has('access_review.manage') && (
        <CreateReview
          members={reviewers}
          onCreated={(review) => {
            setNotice({ ok: true, text: `“${review.name}” started with ${review.summary.total} item${review.summary.total === 1 ? '' : 's'}.` });
            void list.refresh();
          }}
        />
      )}
      <Card aria-labelledby="campaigns-title">
        <CardTitle id="campaigns-title">Campaigns</CardTitle>
        <NoticeLine notice={notice} />
        <Resource query={list} what="campaigns" empty={<>No access review yet.</>}>
          {(reviews) => (
            <StackedTable columns={['Name', 'Scope', 'Status', 'Deadline', 'Progress']}>
              {reviews.map((r) => (
                <tr key={r.id} data-review={r.id} className={stacked.row}>
                  <Cell className="font-medium">
                    <Link href={reviewHref(r.id)} className="underline">
                      {r.name}
                    </Link>
                  </Cell>
                  <Cell label="Scope">{SCOPE_LABEL[r.scope.kind]}</Cell>
                  <Cell label="Status">
                    <Badge>{r.status}</Badge>
                    {r.autoRevoke && <span className="block text-xs text-slate-600">revokes what is not reviewed</span>}
                  </Cell>
                  <Cell label="Deadline" className="md:whitespace-nowrap">
                    {when(r.deadline)}
                  </Cell>
                  <Cell label="Progress">
                    <ReviewProgress review={r} />
                  </Cell>
                </tr>
              ))}
            </StackedTable>
          )}
        </Resource>
      </Card>
    </div>
  );
}
