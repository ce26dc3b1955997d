import type { AlertEvidence, AlertSeverity, AlertStatus, Detector } from '@aim/contracts';
import { newId } from '../platform/ids.js';
import type { TestApp } from './test-app.js';

/**
 * Alerts and learning findings written directly as the database owner: what the detection engine
 * writes, so the alerts API can be tested without provoking each detector. The evidence is a
 * complete AlertEvidence with recognisable numbers.
 */
export interface AlertFixture {
  type?: Detector;
  severity?: AlertSeverity;
  subjectType?: 'agent' | 'mcp_server' | 'user' | 'organization';
  subjectId?: string;
  status?: AlertStatus;
  snoozedUntil?: Date | null;
  assigneeId?: string | null;
  dedupKey?: string;
  lastSeenAt?: Date;
  title?: string;
}

export const fixtureEvidence = (observed = 42): AlertEvidence => ({
  observed,
  baseline: 3,
  threshold: 12,
  unit: 'requests per hour',
  window: { from: '2026-12-07T02:00:00.000Z', to: '2026-12-07T03:00:00.000Z' },
  method: 'median and MAD of the same hour of the week over 28 days; threshold = median + 8 × MAD',
  baselineSnapshot: { median: 3, mad: 1.1 },
  series: [{ at: '2026-12-07T02:00:00.000Z', observed, expected: 3, threshold: 12 }],
  decisionIds: [],
  auditEventIds: [],
  details: { hourOfWeek: 50 },
});

/** Inserts an alert of `organizationId`; answers its id. Resolved and false-positive alerts get their resolved_at. */
export async function insertAlert(t: TestApp, organizationId: string, f: AlertFixture = {}): Promise<string> {
  const id = newId('alr');
  const status = f.status ?? 'open';
  const type = f.type ?? 'rate_anomaly';
  const subjectId = f.subjectId ?? newId('agt');
  const lastSeen = f.lastSeenAt ?? new Date();
  const snoozedUntil = status === 'snoozed' ? (f.snoozedUntil ?? new Date(Date.now() + 3_600_000)) : null;
  const resolved = status === 'resolved' || status === 'false_positive';
  await (
    await t.owner()
  ).query(
    `insert into alerts (id, organization_id, type, severity, subject_type, subject_id, status, snoozed_until, assignee_id, title, summary, dedup_key,
                         occurrences, first_seen_at, last_seen_at, evidence, resolved_at, resolved_by_type)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 3, $13::timestamptz - interval '1 hour', $13, $14, $15, $16)`,
    [
      id,
      organizationId,
      type,
      f.severity ?? 'medium',
      f.subjectType ?? 'agent',
      subjectId,
      status,
      snoozedUntil,
      f.assigneeId ?? null,
      f.title ?? `Request rate far above the baseline (${id.slice(-6)})`,
      '42 requests in the hour against a usual 3; the threshold is 12.',
      f.dedupKey ?? `${type}:${subjectId}:${id.slice(-8)}`,
      lastSeen,
      JSON.stringify(fixtureEvidence()),
      resolved ? new Date() : null,
      resolved ? 'system' : null,
    ],
  );
  return id;
}

/** Inserts a learning finding of `agentId` (an agent of `organizationId`). */
export async function insertLearningFinding(t: TestApp, organizationId: string, agentId: string, f: { type?: Detector; lastSeenAt?: Date; dedupKey?: string } = {}) {
  const type = f.type ?? 'new_action';
  const lastSeen = f.lastSeenAt ?? new Date();
  const dedupKey = f.dedupKey ?? `${type}:${agentId}:${newId('alr').slice(-10)}`;
  await (
    await t.owner()
  ).query(
    `insert into alert_learning_findings (organization_id, dedup_key, agent_id, type, severity, title, summary, occurrences, first_seen_at, last_seen_at, evidence)
     values ($1, $2, $3, $4, 'low', 'First use of an action', 'The agent used reports:export for the first time.', 2, $5::timestamptz - interval '1 hour', $5, $6)`,
    [organizationId, dedupKey, agentId, type, lastSeen, JSON.stringify(fixtureEvidence(1))],
  );
  return dedupKey;
}
