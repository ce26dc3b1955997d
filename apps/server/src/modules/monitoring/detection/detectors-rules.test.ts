import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertEvidenceSchema, DEFAULT_MONITORING_SETTINGS, mergeMonitoringSettings } from '@aim/contracts';
import { AS_OF, businessHistory, DAY, everyHourHeartbeats, HOUR } from '../../../testing/monitoring-fixtures.js';
import { computeBaseline, dayKindOf } from './baseline.js';
import { detectAuthFailures, detectHeartbeatLoss, detectKeyAge, detectTrustDrop } from './detectors.js';
import type { AgentContext, AuthFailureWindow, Finding, HeartbeatHour } from './model.js';

/** The rule detectors: they need no baseline, and alert whether the agent is learning or not. */
const S = DEFAULT_MONITORING_SETTINGS;
const learning: AgentContext = { agentId: 'agt_r', createdAt: new Date(AS_OF.getTime() - DAY), learning: true, baseline: null };
const MIN = 60_000;

function valid(f: Finding | undefined): Finding {
  assert.ok(f);
  const parsed = alertEvidenceSchema.safeParse(f.evidence);
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
  return f;
}

describe('key_misuse', () => {
  const window = (reasons: AuthFailureWindow['reasons']): AuthFailureWindow => ({
    agentId: 'agt_r',
    from: new Date(AS_OF.getTime() - 4 * MIN),
    to: AS_OF,
    reasons,
    keyIds: ['key_1'],
    addresses: ['198.51.100.7', '198.51.100.8'],
  });

  it('fires at 5 refusals within the window, from the first request, with the reasons', () => {
    const f = valid(detectAuthFailures(learning, window({ invalid_signature: 3, replayed_request: 2 }), S)[0]);
    assert.equal(f.detector, 'key_misuse');
    assert.equal(f.severity, 'critical');
    assert.equal(f.dedupKey, 'key_misuse:agt_r');
    assert.equal(f.evidence.observed, 5);
    assert.equal(f.evidence.threshold, 5);
    assert.equal(f.evidence.baseline, null);
    assert.equal(f.evidence.details['invalid_signature'], 3);
    assert.equal(f.evidence.details['replayed_request'], 2);
    assert.equal(f.evidence.details['addresses'], '198.51.100.7, 198.51.100.8');
    assert.match(f.summary, /5 requests naming key key_1 were refused .*3 invalid_signature, 2 replayed_request/);
  });

  it('a retried request or two is not misuse', () => {
    assert.deepEqual(detectAuthFailures(learning, window({ replayed_request: 1 }), S), []);
    assert.deepEqual(detectAuthFailures(learning, window({ invalid_signature: 2, key_revoked: 2 }), S), []);
  });

  it('follows the threshold and the switch', () => {
    const two = mergeMonitoringSettings(S, { detectors: { key_misuse: { params: { failures: 2 } } } });
    assert.equal(detectAuthFailures(learning, window({ key_revoked: 2 }), two).length, 1);
    const off = mergeMonitoringSettings(S, { detectors: { key_misuse: { enabled: false } } });
    assert.deepEqual(detectAuthFailures(learning, window({ invalid_signature: 100 }), off), []);
  });
});

describe('trust_drop', () => {
  const drop = (points: number) => ({ scoreId: 'tsc_1', score: 80 - points, highestInHour: 80, drop: points, at: AS_OF });

  it('fires on a drop of more than 20 points within the hour', () => {
    const f = valid(detectTrustDrop(learning, drop(20.5), S)[0]);
    assert.equal(f.severity, 'high');
    assert.equal(f.dedupKey, 'trust_drop:agt_r');
    assert.equal(f.evidence.observed, 20.5);
    assert.equal(f.evidence.baseline, 80);
    assert.equal(f.evidence.details['scoreId'], 'tsc_1');
    assert.deepEqual(f.evidence.window, { from: new Date(AS_OF.getTime() - HOUR).toISOString(), to: AS_OF.toISOString() });
    assert.deepEqual(detectTrustDrop(learning, drop(20), S), []);
  });
});

describe('heartbeat_lost', () => {
  // Heartbeats every minute, every hour of four weeks: interval 1, silence 10 + 2 × 1 = 12 minutes.
  const always = computeBaseline({ agentId: 'agt_r', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(), heartbeats: everyHourHeartbeats() });
  const ctx: AgentContext = { ...learning, learning: false, baseline: always };
  const last = new Date('2026-12-01T12:00:00Z');
  const at = (minutes: number) => new Date(last.getTime() + minutes * MIN);

  it('fires after 10 minutes and two usual intervals without a heartbeat', () => {
    assert.deepEqual(detectHeartbeatLoss(ctx, { lastHeartbeatAt: last, heartbeatHours7d: 168 }, at(11.9), S), []);
    const f = valid(detectHeartbeatLoss(ctx, { lastHeartbeatAt: last, heartbeatHours7d: 168 }, at(12), S)[0]);
    assert.equal(f.evidence.threshold, 12);
    assert.equal(f.evidence.observed, 12);
    assert.equal(f.evidence.baseline, 1);
    assert.equal(f.severity, 'medium');
  });

  it('one silence is one key, however often the sweep runs; the next silence is another', () => {
    const keys = [12, 13, 60, 600].map((m) => detectHeartbeatLoss(ctx, { lastHeartbeatAt: last, heartbeatHours7d: 168 }, at(m), S)[0]!.dedupKey);
    assert.deepEqual(new Set(keys), new Set(['heartbeat_lost:agt_r:2026-12-01T12:00:00.000Z']));
    const later = new Date(last.getTime() + DAY);
    assert.notEqual(detectHeartbeatLoss(ctx, { lastHeartbeatAt: later, heartbeatHours7d: 168 }, new Date(later.getTime() + 20 * MIN), S)[0]!.dedupKey, keys[0]);
  });

  it('an agent that rarely sends heartbeats, or never did, is not watched', () => {
    assert.deepEqual(detectHeartbeatLoss(ctx, { lastHeartbeatAt: last, heartbeatHours7d: 5 }, at(60), S), []);
    assert.deepEqual(detectHeartbeatLoss(ctx, { lastHeartbeatAt: null, heartbeatHours7d: 0 }, at(60), S), []);
  });

  it('a slower beat waits longer: every 5 minutes gives 10 + 2 × 5', () => {
    const slow = computeBaseline({ agentId: 'agt_r', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(), heartbeats: everyHourHeartbeats(28, 12) });
    assert.deepEqual(detectHeartbeatLoss({ ...ctx, baseline: slow }, { lastHeartbeatAt: last, heartbeatHours7d: 168 }, at(19), S), []);
    assert.equal(detectHeartbeatLoss({ ...ctx, baseline: slow }, { lastHeartbeatAt: last, heartbeatHours7d: 168 }, at(20), S)[0]!.evidence.threshold, 20);
  });

  it('an agent that only runs in the day is not lost every evening, but is when it stops at noon', () => {
    const dayOnly: HeartbeatHour[] = everyHourHeartbeats().filter((h) => dayKindOf(h.hour) === 'weekday' && h.hour.getUTCHours() >= 9 && h.hour.getUTCHours() < 17);
    const b = computeBaseline({ agentId: 'agt_r', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(), heartbeats: dayOnly });
    const office: AgentContext = { ...ctx, baseline: b };
    const evening = new Date('2026-12-01T16:59:00Z');
    assert.deepEqual(detectHeartbeatLoss(office, { lastHeartbeatAt: evening, heartbeatHours7d: 40 }, new Date(evening.getTime() + 30 * MIN), S), []);
    // Monday 09:30, after a weekend: the day has barely started.
    assert.deepEqual(detectHeartbeatLoss(office, { lastHeartbeatAt: new Date('2026-12-04T16:59:00Z'), heartbeatHours7d: 40 }, new Date('2026-12-07T09:30:00Z'), S), []);
    assert.equal(detectHeartbeatLoss(office, { lastHeartbeatAt: last, heartbeatHours7d: 40 }, at(15), S).length, 1);
    // Monday 11:30 with nothing since Friday: lost.
    assert.equal(detectHeartbeatLoss(office, { lastHeartbeatAt: new Date('2026-12-04T16:59:00Z'), heartbeatHours7d: 40 }, new Date('2026-12-07T11:30:00Z'), S).length, 1);
  });

  it('without a baseline the plain rule applies: 10 minutes', () => {
    assert.equal(detectHeartbeatLoss(learning, { lastHeartbeatAt: last, heartbeatHours7d: 6 }, at(10), S).length, 1);
    assert.deepEqual(detectHeartbeatLoss(learning, { lastHeartbeatAt: last, heartbeatHours7d: 6 }, at(9), S), []);
  });
});

describe('key_age', () => {
  it('one finding per key older than the policy, keyed by the key', () => {
    const keys = [
      { keyId: 'key_old', createdAt: new Date(AS_OF.getTime() - 91 * DAY) },
      { keyId: 'key_new', createdAt: new Date(AS_OF.getTime() - 30 * DAY) },
      { keyId: 'key_edge', createdAt: new Date(AS_OF.getTime() - 90 * DAY) },
    ];
    const findings = detectKeyAge(learning, keys, AS_OF, S);
    assert.deepEqual(findings.map((f) => f.dedupKey), ['key_age:agt_r:key_old', 'key_age:agt_r:key_edge']);
    const f = valid(findings[0]);
    assert.equal(f.severity, 'low');
    assert.equal(f.evidence.observed, 91);
    assert.equal(f.evidence.threshold, 90);
    assert.match(f.summary, /91 days ago; the rotation policy is 90 days/);
    const yearly = mergeMonitoringSettings(S, { detectors: { key_age: { params: { maxAgeDays: 365 } } } });
    assert.deepEqual(detectKeyAge(learning, keys, AS_OF, yearly), []);
  });
});
