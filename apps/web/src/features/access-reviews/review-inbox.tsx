'use client';

import { useState } from 'react';
import { api } from '@/api/client';
import { NoticeLine, type Notice } from '@/components/organization-parts';
import { Resource } from '@/components/resource-list';
import { Card, CardDescription, CardTitle } from '@/components/ui/card';
import { must, useApiQuery } from '@/data/query';
import { REVIEW_TOPICS } from './review-api';
import { ReviewItems } from './review-items';
import { useMemberNames } from './review-members';

/** The reviewer's inbox: the pending items assigned to them across open campaigns, soonest deadline first. */
export function ReviewInbox() {
  const { names } = useMemberNames();
  const [notice, setNotice] = useState<Notice>(null);
  const inbox = useApiQuery({
    key: ['/api/v1/me/access-review-items'],
    topics: REVIEW_TOPICS,
    fetch: async () => must(await api.GET('/api/v1/me/access-review-items')).items,
  });
  return (
    <Card aria-labelledby="inbox-title">
      <CardTitle id="inbox-title">Waiting for your review</CardTitle>
      <CardDescription>For each: certify that the access is still needed, revoke it, or ask for a change, with a note.</CardDescription>
      <NoticeLine notice={notice} />
      <Resource query={inbox} what="your review items" empty={<>Nothing waits for your review.</>}>
        {(items) => (
          <ReviewItems
            items={items}
            names={names}
            showCampaign
            mayDecide={() => true}
            onDecided={(item) => {
              setNotice({ ok: true, text: `${item.snapshot.name}: ${item.decision}.` });
              void inbox.refresh();
            }}
          />
        )}
      </Resource>
    </Card>
  );
}
