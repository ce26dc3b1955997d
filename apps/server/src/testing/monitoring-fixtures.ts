import { BASELINE_HISTORY_DAYS, dayKindOf } from '../modules/monitoring/detection/baseline.js';
import type { HeartbeatHour, HourCounts } from '../modules/monitoring/detection/model.js';

/** Histories for the detector tests, whose statistics can be worked out by hand. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
// A Monday.
export const AS_OF = new Date('2026-11-30T00:00:00Z');

/** A business-hours agent: weekdays 09:00-17:00 UTC, `perHour` requests each hour, for `days` days. */
export function businessHistory(days = BASELINE_HISTORY_DAYS, perHour: (t: Date) => number = () => 100): HourCounts[] {
  const hours: HourCounts[] = [];
  for (let t = AS_OF.getTime() - days * DAY; t < AS_OF.getTime(); t += HOUR) {
    const d = new Date(t);
    if (dayKindOf(d) === 'weekday' && d.getUTCHours() >= 9 && d.getUTCHours() < 17) {
      const n = perHour(d);
      hours.push({ hour: d, requests: n, denials: 1, records: n * 10, bytes: n * 10_000 });
    }
  }
  return hours;
}

export function everyHourHeartbeats(days = BASELINE_HISTORY_DAYS, minutes = 60): HeartbeatHour[] {
  const out: HeartbeatHour[] = [];
  for (let t = AS_OF.getTime() - days * DAY; t < AS_OF.getTime(); t += HOUR) out.push({ hour: new Date(t), minutes });
  return out;
}

