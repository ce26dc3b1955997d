import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alertEvidenceSchema, DEFAULT_MONITORING_SETTINGS, mergeMonitoringSettings } from '@aim/contracts';
import { computeBaseline } from './baseline.js';
import { AS_OF, businessHistory } from '../../../testing/monitoring-fixtures.js';
import { detectClosedHour, detectFirstUses, detectHour, FIRST_USE_HISTORY_DAYS } from './detectors.js';
import type { AgentContext, Finding, FirstUse, HourCounts, Observation } from './model.js';

/**
 * The behavioural detectors against a business-hours agent whose baseline is known exactly: weekdays
 * 09:00-17:00 UTC, 100 requests, 1 denial, 1,000 records and 1,000,000 bytes each hour, four weeks.
 * At Tuesday 10:00 its requests have median 100 and scale 11 (sqrt(100) + 1).
 */
const S = DEFAULT_MONITORING_SETTINGS;
const baseline = computeBaseline({ agentId: 'agt_b', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(), heartbeats: [] });
const ctx: AgentContext = { agentId: 'agt_b', createdAt: new Date('2026-01-01'), learning: false, baseline };
const TUE_10 = new Date('2026-12-01T10:00:00Z');
const TUE_03 = new Date('2026-12-01T03:00:00Z');

const hour = (at: Date, c: Partial<HourCounts> = {}): HourCounts => ({ hour: at, requests: 100, denials: 1, records: 1000, bytes: 1_000_000, ...c });
const obs = (id: string, at: Date, o: Partial<Observation> = {}): Observation => ({
  decisionId: id,
  agentId: 'agt_b',
  at,
  action: 'orders:read',
  resource: 'orders/1',
  decision: 'allow',
  violation: false,
  records: null,
  bytes: null,
  address: '203.0.113.9',
  ...o,
});
const of = (findings: Finding[], detector: string) => findings.filter((f) => f.detector === detector);

function assertEvidence(f: Finding) {
  const parsed = alertEvidenceSchema.safeParse(f.evidence);
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
  assert.match(f.summary, /\d/);
  assert.equal(f.subject.type, 'agent');
  assert.equal(f.subject.id, 'agt_b');
}

describe('rate_anomaly', () => {
  // T = max over Tue 09, 10, 11 of 100 + 6 × 11 = 166.
  it('fires when a batch carries the hour across median + 6 × scale, once', () => {
    const at = new Date(TUE_10.getTime() + 40 * 60_000);
    const batch = [obs('dec_1', at), obs('dec_2', at)];
    const [f, ...rest] = of(detectHour(ctx, hour(TUE_10, { requests: 165 }), hour(TUE_10, { requests: 166 }), batch, S), 'rate_anomaly');
    assert.equal(rest.length, 0);
    assert.ok(f);
    assert.equal(f.dedupKey, 'rate_anomaly:agt_b');
    assert.equal(f.severity, 'medium');
    assert.equal(f.evidence.observed, 166);
    assert.equal(f.evidence.baseline, 100);
    assert.equal(f.evidence.threshold, 166);
    assert.equal(f.evidence.unit, 'requests per hour');
    assert.deepEqual(f.evidence.decisionIds, ['dec_2', 'dec_1']);
    assert.deepEqual(f.evidence.window, { from: TUE_10.toISOString(), to: at.toISOString() });
    assert.equal(f.at, at);
    assert.deepEqual((f.evidence.baselineSnapshot!['slot'] as { samples: number[] }).samples, [100, 100, 100, 100]);
    // Four Tuesdays 10:00 from the history, then this one.
    assert.deepEqual(
      f.evidence.series.map((p) => [p.at.slice(0, 13), p.observed, p.expected]),
      [['2026-11-03T10', 100, 100], ['2026-11-10T10', 100, 100], ['2026-11-17T10', 100, 100], ['2026-11-24T10', 100, 100], ['2026-12-01T10', 166, 100]],
    );
    assertEvidence(f);
    // Already above before the batch: the hour's incident was reported.
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 170 }), hour(TUE_10, { requests: 300 }), [], S), 'rate_anomaly').length, 0);
    // One request short.
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 165 }), [], S), 'rate_anomaly').length, 0);
  });

  it('judges the 60 minutes to the batch: a burst late in the previous hour carries its extra requests over', () => {
    const TUE_09 = new Date('2026-12-01T09:00:00Z');
    const at = new Date(TUE_10.getTime() + 20 * 60_000);
    const batch = [obs('dec_3', at)];
    // 09:00 had 160 requests, 60 beyond its median; 20 minutes into 10:00 the window still covers
    // two thirds of it, so min(60, 2/3 × 160) = 60 carry over: 106 + 60 reaches 166.
    const burst = hour(TUE_09, { requests: 160 });
    const [f, ...rest] = of(detectHour(ctx, hour(TUE_10, { requests: 105 }), hour(TUE_10, { requests: 106 }), batch, S, burst), 'rate_anomaly');
    assert.equal(rest.length, 0);
    assert.ok(f);
    assert.equal(f.evidence.observed, 166);
    assert.equal(f.evidence.threshold, 166);
    assert.deepEqual(f.evidence.window, { from: new Date(at.getTime() - 3_600_000).toISOString(), to: at.toISOString() });
    assert.equal(f.evidence.details['carriedOver'], 60);
    assert.equal(f.evidence.details['crossed'], '60-minute window');
    assert.equal(f.evidence.details['hourRequests'], 106);
    assert.equal(f.evidence.details['previousHourRequests'], 160);
    assertEvidence(f);
    // One request short of the window, or no previous hour: nothing.
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 104 }), hour(TUE_10, { requests: 105 }), batch, S, burst), 'rate_anomaly').length, 0);
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 105 }), hour(TUE_10, { requests: 106 }), batch, S, null), 'rate_anomaly').length, 0);
    // A previous hour at its usual level carries nothing, however busy: an agent whose work comes in
    // bursts at the top of every hour is not judged on two of them.
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 105 }), hour(TUE_10, { requests: 106 }), batch, S, hour(TUE_09, { requests: 100 })), 'rate_anomaly').length, 0);
    // Late in the hour the window covers little of the previous one: 50 minutes in, at most 160 / 6.
    const late = [obs('dec_4', new Date(TUE_10.getTime() + 50 * 60_000))];
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 130 }), hour(TUE_10, { requests: 139 }), late, S, burst), 'rate_anomaly').length, 0);
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 130 }), hour(TUE_10, { requests: 140 }), late, S, burst), 'rate_anomaly')[0]!.evidence.details['carriedOver'], 26.7);
    // The window only adds: at 18:00 (threshold minRequests 30) after a busy 17:00 (whose threshold,
    // next to the working day, is 166), the clock hour still fires on its own threshold.
    const evening = new Date('2026-12-01T18:00:00Z');
    const [own] = of(detectHour(ctx, hour(evening, { requests: 29 }), hour(evening, { requests: 30 }), [obs('dec_5', new Date(evening.getTime() + 600_000))], S, hour(new Date('2026-12-01T17:00:00Z'), { requests: 60 })), 'rate_anomaly');
    assert.ok(own);
    assert.equal(own.evidence.threshold, 30);
    assert.equal(own.evidence.details['crossed'], 'clock hour');
    // Counts of an hour that is not the one before are ignored.
    assert.equal(of(detectHour(ctx, hour(TUE_10, { requests: 105 }), hour(TUE_10, { requests: 106 }), batch, S, hour(new Date('2026-12-01T08:00:00Z'), { requests: 160 })), 'rate_anomaly').length, 0);
  });

  it('follows the settings: a multiplier, a floor, and off', () => {
    const k10 = mergeMonitoringSettings(S, { detectors: { rate_anomaly: { params: { madMultiplier: 10 } } } });
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 209 }), [], k10), 'rate_anomaly').length, 0);
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 210 }), [], k10), 'rate_anomaly')[0]!.evidence.threshold, 210);
    const off = mergeMonitoringSettings(S, { detectors: { rate_anomaly: { enabled: false } } });
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 1000 }), [], off), 'rate_anomaly').length, 0);
    const critical = mergeMonitoringSettings(S, { detectors: { rate_anomaly: { severity: 'critical' } } });
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 1000 }), [], critical), 'rate_anomaly')[0]!.severity, 'critical');
  });

  it('an hour early is not an anomaly: the neighbouring hour of the week counts', () => {
    // Tue 08:00 has median 0, but 09:00 next to it has 100: T = 166, not 0 + 6 × 1.
    assert.equal(of(detectHour(ctx, null, hour(new Date('2026-12-01T08:00:00Z'), { requests: 120 }), [], S), 'rate_anomaly').length, 0);
  });

  it('is still found while the agent learns (the engine routes it to learning findings)', () => {
    assert.equal(of(detectHour({ ...ctx, learning: true }, null, hour(TUE_10, { requests: 400 }), [], S), 'rate_anomaly').length, 1);
  });

  it('nothing without a baseline, or with less than three days of history', () => {
    assert.deepEqual(detectHour({ ...ctx, baseline: null }, null, hour(TUE_10, { requests: 9999, denials: 999 }), [], S), []);
    const young = computeBaseline({ agentId: 'agt_b', asOf: AS_OF, agentCreatedAt: new Date(AS_OF.getTime() - 2 * 86_400_000), hours: businessHistory(2), heartbeats: [] });
    assert.deepEqual(detectHour({ ...ctx, baseline: young }, null, hour(TUE_10, { requests: 9999, denials: 999 }), [], S), []);
  });

  it('the low side, when an hour ends: a busy hour of the week that went quiet', () => {
    // min over Tue 09-11 of 100 - 6 × 11 = 34.
    const [f] = detectClosedHour(ctx, hour(TUE_10, { requests: 0 }), S);
    assert.ok(f);
    assert.equal(f.dedupKey, 'rate_anomaly:agt_b:low');
    assert.equal(f.evidence.threshold, 34);
    assert.equal(f.evidence.observed, 0);
    assertEvidence(f);
    assert.deepEqual(detectClosedHour(ctx, hour(TUE_10, { requests: 34 }), S), []);
    // At night there is nothing to miss; on the day's edge the quiet neighbour keeps it silent.
    assert.deepEqual(detectClosedHour(ctx, hour(TUE_03, { requests: 0 }), S), []);
    assert.deepEqual(detectClosedHour(ctx, hour(new Date('2026-12-01T09:00:00Z'), { requests: 0 }), S), []);
  });
});

describe('denial_spike', () => {
  // max(minCount 10, 1 + 4 × 2, 0.01 × 100 + 4 × (sqrt(1) + 1)) = 10.
  it('fires at max(minCount, the slot, the agent denial rate applied to the hour)', () => {
    const at = new Date(TUE_10.getTime() + 60_000);
    const batch = [obs('dec_ok', at), obs('dec_no', at, { decision: 'deny' }), obs('dec_flag', at, { violation: true })];
    const [f] = of(detectHour(ctx, hour(TUE_10, { denials: 9 }), hour(TUE_10, { denials: 10 }), batch, S), 'denial_spike');
    assert.ok(f);
    assert.equal(f.evidence.threshold, 10);
    assert.equal(f.evidence.observed, 10);
    assert.deepEqual(f.evidence.decisionIds, ['dec_flag', 'dec_no']);
    assert.equal(f.dedupKey, 'denial_spike:agt_b');
    assertEvidence(f);
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { denials: 9 }), [], S), 'denial_spike').length, 0);
  });

  it('a busier hour may have more denials: the threshold follows the hour requests', () => {
    // 2,000 requests at the agent's 1 %: 20 + 4 × (sqrt(20) + 1) = 41.9.
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 2000, denials: 41 }), [], S), 'denial_spike').length, 0);
    const [f] = of(detectHour(ctx, null, hour(TUE_10, { requests: 2000, denials: 42 }), [], S), 'denial_spike');
    assert.equal(f!.evidence.threshold, 41.889);
  });
});

describe('off_hours', () => {
  it('fires when an hour the agent never works reaches minRequests', () => {
    const [f] = of(detectHour(ctx, hour(TUE_03, { requests: 4, records: 0, bytes: 0 }), hour(TUE_03, { requests: 5, records: 0, bytes: 0 }), [], S), 'off_hours');
    assert.ok(f);
    assert.equal(f.dedupKey, 'off_hours:agt_b');
    assert.equal(f.evidence.threshold, 5);
    assert.equal(f.evidence.details['busyP90'], 0);
    assertEvidence(f);
    assert.equal(of(detectHour(ctx, null, hour(TUE_03, { requests: 4, records: 0, bytes: 0 }), [], S), 'off_hours').length, 0);
    // Saturday noon: weekends are never worked either.
    assert.equal(of(detectHour(ctx, null, hour(new Date('2026-12-05T12:00:00Z'), { requests: 20, records: 0, bytes: 0 }), [], S), 'off_hours').length, 1);
  });

  it('an hour next to the working day is usual', () => {
    for (const h of ['08', '17']) {
      assert.equal(of(detectHour(ctx, null, hour(new Date(`2026-12-01T${h}:00:00Z`), { requests: 50, records: 0, bytes: 0 }), [], S), 'off_hours').length, 0, h);
    }
    assert.equal(of(detectHour(ctx, null, hour(new Date('2026-12-01T19:00:00Z'), { requests: 50, records: 0, bytes: 0 }), [], S), 'off_hours').length, 1);
  });
});

describe('data_volume', () => {
  // Records at Tue 10:00: median 1,000, scale 100, k = 10 → 2,000; but 100 requests at 10 records each
  // may carry 10 × 100 + 10 × 3 × 10 × sqrt(100) = 4,000 (a request's volume varies three times its mean).
  it('fires at the larger of the slot and the per-request threshold, once', () => {
    const [f] = of(detectHour(ctx, hour(TUE_10, { records: 3999 }), hour(TUE_10, { records: 4000 }), [], S), 'data_volume');
    assert.ok(f);
    assert.equal(f.evidence.unit, 'records per hour');
    assert.equal(f.evidence.threshold, 4000);
    assert.equal(f.severity, 'high');
    assertEvidence(f);
    assert.equal(of(detectHour(ctx, hour(TUE_10, { records: 4000 }), hour(TUE_10, { records: 9000 }), [], S), 'data_volume').length, 0);
    // A busier hour may carry more: 1,000 requests, 10 × 1,000 + 10 × 3 × 10 × sqrt(1,000) = 19,486.8.
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { requests: 1000, records: 19_487 }), [], S), 'data_volume')[0]!.evidence.threshold, 19_486.833);
  });

  it('bytes alone can fire it', () => {
    const [f] = of(detectHour(ctx, null, hour(TUE_10, { bytes: 4_000_000 }), [], S), 'data_volume');
    assert.equal(f!.evidence.unit, 'bytes per hour');
    assert.equal(f!.evidence.threshold, 4_000_000);
    assert.equal(of(detectHour(ctx, null, hour(TUE_10, { bytes: 3_999_999 }), [], S), 'data_volume').length, 0);
  });

  it('a few requests at night: judged by what they usually carry', () => {
    // 5 requests: 10 × 5 + 10 × 3 × 10 × sqrt(5) = 720.8 records.
    const night = (records: number) => of(detectHour(ctx, null, hour(TUE_03, { requests: 5, records, bytes: 0 }), [], S), 'data_volume');
    assert.equal(night(720).length, 0);
    assert.equal(night(721)[0]!.evidence.threshold, 720.82);
  });
});

describe('first uses', () => {
  const first = (kind: FirstUse['kind'], value: string, id: string, minute = 0): FirstUse => ({ kind, value, observation: obs(id, new Date(TUE_10.getTime() + minute * 60_000)) });

  it('one finding per kind, listing every new value, keyed per agent and detector', () => {
    const findings = detectFirstUses(ctx, [first('action', 'keys:export', 'dec_1'), first('resource', 'secrets/*', 'dec_2', 1), first('resource', 'vault/*', 'dec_3', 2), first('network', '198.51.100.0/24', 'dec_4', 3)], S);
    assert.deepEqual(findings.map((f) => f.dedupKey), ['new_action:agt_b', 'new_resource:agt_b', 'new_network:agt_b']);
    const resource = findings[1]!;
    assert.equal(resource.title, 'First use of 2 resource prefixes');
    assert.equal(resource.evidence.observed, 2);
    assert.equal(resource.evidence.details['values'], 'secrets/*, vault/*');
    assert.deepEqual(resource.evidence.decisionIds, ['dec_2', 'dec_3']);
    assert.equal(resource.severity, 'medium');
    assert.equal(findings[0]!.title, 'First use of action keys:export');
    assert.equal(findings[0]!.severity, 'low');
    for (const f of findings) assertEvidence(f);
  });

  it('an agent with less than a week of history has no first uses yet', () => {
    const young = computeBaseline({ agentId: 'agt_b', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(FIRST_USE_HISTORY_DAYS - 1), heartbeats: [] });
    assert.deepEqual(detectFirstUses({ ...ctx, baseline: young }, [first('action', 'keys:export', 'dec_1')], S), []);
    assert.deepEqual(detectFirstUses({ ...ctx, baseline: null }, [first('action', 'keys:export', 'dec_1')], S), []);
  });

  it('a disabled detector stays silent, the others do not', () => {
    const off = mergeMonitoringSettings(S, { detectors: { new_action: { enabled: false } } });
    const findings = detectFirstUses(ctx, [first('action', 'keys:export', 'dec_1'), first('network', '198.51.100.0/24', 'dec_2')], off);
    assert.deepEqual(findings.map((f) => f.detector), ['new_network']);
  });
});
