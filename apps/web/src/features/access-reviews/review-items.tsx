'use client';

import Link from 'next/link';
import { Badge, when } from '@/components/ui';
import { Cell, StackedTable, stacked } from '@/components/organization-parts';
import { DecideItem } from './decide-item';
import { REASON_LABEL, SUBJECT_LABEL, reviewHref, type AccessReviewItem } from './review-api';

/**
 * Items as the reviewer sees them: what it is (the snapshot taken when the campaign started), who
 * reviews it and why, and its decision — or, while it waits and the viewer may decide, the form.
 */
export function ReviewItems({
  items,
  names,
  mayDecide,
  showCampaign = false,
  onDecided,
}: {
  items: AccessReviewItem[];
  names: Map<string, string>;
  mayDecide: (item: AccessReviewItem) => boolean;
  showCampaign?: boolean;
  onDecided: (item: AccessReviewItem) => void;
}) {
  const person = (id: string | null) => (id ? (names.get(id) ?? id) : '—');
  return (
    <StackedTable columns={[...(showCampaign ? ['Campaign'] : []), 'Access', 'Owner', 'Risk', 'Last used', 'Reviewer', 'Decision']} actions>
      {items.map((item) => {
        const s = item.snapshot;
        return (
          <tr key={item.id} data-item={item.id} data-subject={item.subjectId} className={stacked.row}>
            {showCampaign && (
              <Cell label="Campaign">
                <Link href={reviewHref(item.reviewId)} className="underline">
                  {item.reviewName}
                </Link>
                <span className="block text-xs text-slate-600">due {when(item.deadline)}</span>
              </Cell>
            )}
            <Cell label="Access" className="font-medium">
              <span className="block">{s.name}</span>
              <span className="block text-xs font-normal text-slate-600">
                {SUBJECT_LABEL[item.subjectType]}
                {s.status ? ` · ${s.status}` : ''}
                {s.grants.length > 0 ? ` · ${s.grants.map((g) => g.capability).join(', ')}` : ''}
                {s.expiresAt ? ` · expires ${when(s.expiresAt)}` : ''}
              </span>
            </Cell>
            <Cell label="Owner">{person(s.ownerUserId)}</Cell>
            <Cell label="Risk">{s.riskLevel ? <Badge>{s.riskLevel}</Badge> : '—'}</Cell>
            <Cell label="Last used" className="md:whitespace-nowrap">
              {s.lastUsedAt ? when(s.lastUsedAt) : 'never'}
            </Cell>
            <Cell label="Reviewer">
              {item.reviewerName ?? person(item.reviewerUserId)}
              <span className="block text-xs text-slate-600">{REASON_LABEL[item.reviewerReason]}</span>
            </Cell>
            <Cell label="Decision">
              <Badge>{item.decision}</Badge>
              {item.decidedAt && (
                <span className="block text-xs text-slate-600">
                  {item.decidedAutomatically ? 'by the deadline' : `by ${person(item.decidedBy)}`}, {when(item.decidedAt)}
                </span>
              )}
              {item.note && <span className="block text-xs text-slate-700">“{item.note}”</span>}
              {item.change?.expiresAt && <span className="block text-xs text-slate-600">expires {when(item.change.expiresAt)}</span>}
            </Cell>
            <Cell>{item.decision === 'pending' && mayDecide(item) ? <DecideItem item={item} onDecided={onDecided} /> : null}</Cell>
          </tr>
        );
      })}
    </StackedTable>
  );
}
