import { z } from 'zod';

/**
 * The instants AIM accepts from clients: from the Unix epoch to the last millisecond of year 9999, in UTC.
 * JavaScript and PostgreSQL both hold every instant in this range exactly and print it as a four-digit
 * year; outside it one of them refuses (PostgreSQL has no year 0, JavaScript prints year 10000 as
 * +010000) and nothing AIM records lies there. Every date-time in a query or a body uses this schema.
 */
export const EARLIEST_INSTANT = '1970-01-01T00:00:00Z';
export const LATEST_INSTANT = '9999-12-31T23:59:59.999Z';
const earliestMs = Date.parse(EARLIEST_INSTANT);
const latestMs = Date.parse(LATEST_INSTANT);

const RANGE_MESSAGE = `must be an RFC 3339 date-time between ${EARLIEST_INSTANT} and ${LATEST_INSTANT} (UTC), such as 2026-11-27T10:00:00Z`;

/** An RFC 3339 date-time with an offset (`Z` or `±hh:mm`), within EARLIEST_INSTANT..LATEST_INSTANT once in UTC. */
export function dateTimeSchema() {
  return z.iso.datetime({ offset: true, message: RANGE_MESSAGE }).refine(
    (value) => {
      const ms = Date.parse(value);
      return ms >= earliestMs && ms <= latestMs;
    },
    { message: RANGE_MESSAGE },
  );
}
