import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeBaseline, dayKindOf, mad, median, p90, slotOf, slotStatistics } from './baseline.js';
import { AS_OF, businessHistory, DAY, everyHourHeartbeats, HOUR } from '../../../testing/monitoring-fixtures.js';

/**
 * The baseline method (baseline.ts, docs/monitoring.md "detectors") on histories whose statistics can
 * be worked out by hand.
 */
describe('robust statistics', () => {
  it('median, MAD and the 90th percentile', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(mad([1, 2, 3, 4, 100]), 1);
    assert.equal(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 9);
    assert.equal(p90([0, 0, 0, 0, 0, 0, 0, 0, 0, 7]), 0);
    assert.equal(p90([]), 0);
  });

  it('slots count from Monday 00:00 UTC; Saturday and Sunday are the weekend', () => {
    assert.equal(slotOf(new Date('2026-11-30T00:30:00Z')), 0);
    assert.equal(slotOf(new Date('2026-12-01T14:00:00Z')), 24 + 14);
    assert.equal(slotOf(new Date('2026-12-06T23:59:00Z')), 167);
    assert.equal(dayKindOf(new Date('2026-12-05T12:00:00Z')), 'weekend');
    assert.equal(dayKindOf(new Date('2026-12-04T12:00:00Z')), 'weekday');
  });

  it('one outlier does not move the median or the scale', () => {
    const stats = slotStatistics('requests', { w: [100, 100, 1000, 100], k: [], d: [] });
    assert.deepEqual(stats, { median: 100, scale: 11, level: 'w' });
  });

  it('the scale never falls below sqrt(median) + 1 and 10 % of the median', () => {
    // Four identical weeks: MAD 0. sqrt(100) + 1 = 11 beats 0.1 × 100 = 10.
    assert.equal(slotStatistics('requests', { w: [100, 100, 100], k: [], d: [] })!.scale, 11);
    // 10,000 a week: 0.1 × 10,000 = 1,000 beats sqrt(10,000) + 1 = 101.
    assert.equal(slotStatistics('records', { w: [10_000, 10_000, 10_000], k: [], d: [] })!.scale, 1000);
    // Denials have no relative floor: sqrt(400) + 1.
    assert.equal(slotStatistics('denials', { w: [400, 400, 400], k: [], d: [] })!.scale, 21);
    // A spread larger than the floors is kept: MAD of [60, 100, 140] is 40, × 1.4826.
    assert.equal(slotStatistics('requests', { w: [60, 100, 140], k: [], d: [] })!.scale, 59.304);
  });

  it('pools the same hour on days of the same kind when the hour of week has too few samples', () => {
    const stats = slotStatistics('requests', { w: [100, 120], k: [100, 120, 80, 90, 110], d: [100, 120, 80, 90, 110, 0, 0] });
    assert.equal(stats!.level, 'k');
    assert.equal(stats!.median, 100);
    // MAD of the pool: |0, 20, 20, 10, 10| → 10; 1.4826 × 10 = 14.826 beats sqrt(100) + 1 = 11.
    assert.equal(stats!.scale, 14.826);
    assert.equal(slotStatistics('requests', { w: [1], k: [1, 2], d: [1, 2, 3] })!.level, 'd');
    assert.equal(slotStatistics('requests', { w: [1], k: [1], d: [1, 2] }), null);
  });
});

describe('computeBaseline', () => {
  it('a regular business-hours agent: 100 requests at each working hour, nothing at night', () => {
    const b = computeBaseline({ agentId: 'agt_1', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01T00:00:00Z'), hours: businessHistory(), heartbeats: [] });
    assert.equal(b.version, 1);
    assert.equal(b.to, AS_OF.toISOString());
    assert.equal(b.from, new Date(AS_OF.getTime() - 28 * DAY).toISOString());
    // History starts at the first activity: Monday 09:00, four weeks back.
    assert.equal(b.start, '2026-11-02T09:00:00.000Z');
    assert.equal(b.activeDays, 20);
    const tue10 = 24 + 10;
    assert.equal(b.metrics.requests.median[tue10], 100);
    assert.equal(b.metrics.requests.scale[tue10], 11);
    assert.equal(b.metrics.requests.level[tue10], 'w');
    assert.deepEqual(b.metrics.requests.samples[tue10], [100, 100, 100, 100]);
    assert.equal(b.metrics.records.median[tue10], 1000);
    assert.equal(b.metrics.records.scale[tue10], 100);
    // At night: median 0, scale sqrt(0) + 1.
    assert.equal(b.metrics.requests.median[24 + 3], 0);
    assert.equal(b.metrics.requests.scale[24 + 3], 1);
    assert.equal(b.activeShare.weekday[10], 1);
    assert.equal(b.activeShare.weekday[3], 0);
    assert.equal(b.activeShare.weekend[10], 0);
    // Around 09:00 (08-10): 200 requests on every weekday; around 08:00 (07-09): 100.
    assert.equal(b.busyP90.weekday[9], 200);
    assert.equal(b.busyP90.weekday[8], 100);
    assert.equal(b.busyP90.weekday[3], 0);
    assert.equal(b.totals.requests, 20 * 8 * 100);
    assert.equal(b.denialRate, 0.01);
    assert.equal(b.heartbeat.hours, 0);
    assert.equal(b.heartbeat.intervalMinutes, null);
  });

  it('a new agent: its history starts when it was created, and the hours before are not zeros', () => {
    const createdAt = new Date(AS_OF.getTime() - 3 * DAY - 5 * HOUR);
    const hours = Array.from({ length: 3 * 24 }, (_, i) => ({ hour: new Date(AS_OF.getTime() - (i + 1) * HOUR), requests: 10, denials: 0, records: 0, bytes: 0 }));
    const b = computeBaseline({ agentId: 'agt_2', asOf: AS_OF, agentCreatedAt: createdAt, hours, heartbeats: [] });
    assert.equal(b.start, new Date(AS_OF.getTime() - 3 * DAY).toISOString());
    assert.equal(b.historyDays, 3);
    // One sample per hour of week: the pooled levels give the statistics (all 10).
    assert.equal(b.metrics.requests.level[10], 'd');
    assert.equal(b.metrics.requests.median[10], 10);
  });

  it('heartbeat regularity: minutes per hour, the interval, and the hours they are sent', () => {
    const b = computeBaseline({ agentId: 'agt_3', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(), heartbeats: everyHourHeartbeats(28, 12) });
    assert.equal(b.heartbeat.medianMinutesPerHour, 12);
    assert.equal(b.heartbeat.intervalMinutes, 5);
    assert.equal(b.heartbeat.share.weekday[10], 1);
    assert.equal(b.heartbeat.share.weekend[3], 1);
  });

  it('ignores hours outside the window and hours from the future', () => {
    const old = { hour: new Date(AS_OF.getTime() - 40 * DAY), requests: 5000, denials: 0, records: 0, bytes: 0 };
    const future = { hour: new Date(AS_OF.getTime() + HOUR), requests: 5000, denials: 0, records: 0, bytes: 0 };
    const b = computeBaseline({ agentId: 'agt_1', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: [old, future, ...businessHistory()], heartbeats: [] });
    assert.equal(b.totals.requests, 20 * 8 * 100);
  });

  it('is JSON: it survives a round trip unchanged', () => {
    const b = computeBaseline({ agentId: 'agt_1', asOf: AS_OF, agentCreatedAt: new Date('2026-01-01'), hours: businessHistory(), heartbeats: everyHourHeartbeats() });
    assert.deepEqual(JSON.parse(JSON.stringify(b)), b);
    assert.ok(JSON.stringify(b).length < 40_000, 'small enough to store per agent and copy into evidence');
  });
});
