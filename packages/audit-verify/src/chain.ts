import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The audit hash chain, as pure functions shared by the writer, the verify endpoint and the offline
 * verifier. Per organization, event n carries
 *
 *   hash(n) = SHA-256( hash(n-1) ‖ UTF-8( JCS(event n) ) ),   hash(0) = 32 zero bytes,
 *
 * where JCS is RFC 8785 canonical JSON of the event in the shape below (every field, nothing else),
 * so any language can recompute it.
 */
export interface ChainedEvent {
  id: string;
  organizationId: string;
  seq: number;
  /** UTC, microseconds: YYYY-MM-DDTHH:MM:SS.ffffffZ */
  occurredAt: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string | null } | null;
  outcome: string;
  requestId: string | null;
  clientIp: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

export const GENESIS_HASH = Buffer.alloc(32);

/** JCS of a value (RFC 8785); for strings and numbers this is exactly JSON.stringify. */
function jcs(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('the event cannot be canonicalized');
  return text;
}
const str = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/**
 * RFC 8785 canonical JSON of the event. The fixed fields are written in their canonical (sorted)
 * order directly; only `details`, whose shape is free, goes through the general canonicalizer.
 * A test checks the result against the general canonicalizer applied to the whole event.
 */
export function canonicalEvent(event: ChainedEvent): string {
  if (!Number.isSafeInteger(event.seq)) throw new Error('seq must be a safe integer');
  const target = event.target ? `{"id":${str(event.target.id)},"type":${str(event.target.type)}}` : 'null';
  return (
    `{"action":${str(event.action)},"actor":{"id":${str(event.actor.id)},"type":${str(event.actor.type)}}` +
    `,"clientIp":${str(event.clientIp)},"details":${jcs(event.details)},"id":${str(event.id)}` +
    `,"occurredAt":${str(event.occurredAt)},"organizationId":${str(event.organizationId)},"outcome":${str(event.outcome)}` +
    `,"requestId":${str(event.requestId)},"seq":${event.seq},"target":${target},"userAgent":${str(event.userAgent)}}`
  );
}

/** The same, through the general canonicalizer (the reference the fast path is tested against). */
export function canonicalEventReference(event: ChainedEvent): string {
  return jcs({
    id: event.id,
    organizationId: event.organizationId,
    seq: event.seq,
    occurredAt: event.occurredAt,
    actor: { type: event.actor.type, id: event.actor.id },
    action: event.action,
    target: event.target ? { type: event.target.type, id: event.target.id } : null,
    outcome: event.outcome,
    requestId: event.requestId,
    clientIp: event.clientIp,
    userAgent: event.userAgent,
    details: event.details,
  });
}

export function chainHash(previous: Buffer, event: ChainedEvent): Buffer {
  return createHash('sha256').update(previous).update(canonicalEvent(event), 'utf8').digest();
}

export type ChainVerdict =
  | { status: 'intact'; checked: number; lastSeq: number; lastHash: string }
  | { status: 'broken'; checked: number; brokenAt: number; reason: string };

/**
 * Walk events in the order given (which must be ascending seq), from the hash before the first.
 * Reports the first event whose position or hash does not follow: an edited event (its hash no
 * longer matches its content), a deleted one (a gap), reordered ones, or a chain that starts late.
 */
export function createChainWalker(start: { seq: number; hash: Buffer } = { seq: 0, hash: GENESIS_HASH }) {
  let expectedSeq = start.seq + 1;
  let previous = start.hash;
  let checked = 0;
  let broken: ChainVerdict | undefined;
  return {
    push(event: ChainedEvent & { hash: Buffer }): boolean {
      if (broken) return false;
      if (event.seq !== expectedSeq) {
        broken = {
          status: 'broken',
          checked,
          brokenAt: Math.min(event.seq, expectedSeq),
          reason: event.seq > expectedSeq ? `events ${expectedSeq}–${event.seq - 1} are missing` : `event ${event.seq} is out of order`,
        };
        return false;
      }
      const recomputed = chainHash(previous, event);
      if (!recomputed.equals(event.hash)) {
        broken = { status: 'broken', checked, brokenAt: event.seq, reason: `event ${event.seq} does not match its hash (altered, or an earlier event was)` };
        return false;
      }
      previous = event.hash;
      expectedSeq += 1;
      checked += 1;
      return true;
    },
    /** The verdict so far; `expectedLast` reports a missing tail when the chain should reach further. */
    verdict(expectedLast?: { seq: number; hash: Buffer }): ChainVerdict {
      if (broken) return broken;
      const lastSeq = expectedSeq - 1;
      if (expectedLast && expectedLast.seq > lastSeq) {
        return { status: 'broken', checked, brokenAt: lastSeq + 1, reason: `events ${lastSeq + 1}–${expectedLast.seq} are missing from the end` };
      }
      if (expectedLast && expectedLast.seq === lastSeq && !expectedLast.hash.equals(previous)) {
        return { status: 'broken', checked, brokenAt: lastSeq, reason: `event ${lastSeq} differs from the recorded head of the chain` };
      }
      return { status: 'intact', checked, lastSeq, lastHash: previous.toString('hex') };
    },
  };
}

/** What a checkpoint signs: RFC 8785 canonical JSON of {organizationId, seq, hash, signedAt}. */
export interface CheckpointPayload {
  organizationId: string;
  seq: number;
  /** hex */
  hash: string;
  signedAt: string;
}

export function checkpointMessage(payload: CheckpointPayload): Buffer {
  return Buffer.from(jcs({ organizationId: payload.organizationId, seq: payload.seq, hash: payload.hash, signedAt: payload.signedAt }), 'utf8');
}
