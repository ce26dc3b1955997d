import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { canonicalJsonText, jcs } from './json-text.js';

export { jcs };

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

/** An event as a walk reads it from a database: `details` as JSON text (canonicalized with canonicalJsonText). */
export type ChainedEventText = Omit<ChainedEvent, 'details'> & { detailsJson: string };

export const GENESIS_HASH = Buffer.alloc(32);

/**
 * Characters JSON.stringify escapes (quote, backslash, controls) or rewrites (lone surrogates). A
 * string with none of them is its own JSON text between quotes, which skips the general path.
 */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
const str = (value: string | null) => (value === null ? 'null' : NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`);

/**
 * RFC 8785 canonical JSON of the event. The fixed fields are written in their canonical (sorted)
 * order directly; only `details`, whose shape is free, goes through a canonicalizer (canonicalJsonText for text).
 * A test checks the result against the general canonicalizer applied to the whole event.
 */
export function canonicalEvent(event: ChainedEvent | ChainedEventText): string {
  if (!Number.isSafeInteger(event.seq)) throw new Error('seq must be a safe integer');
  const details = 'detailsJson' in event ? canonicalJsonText(event.detailsJson) : jcs(event.details);
  const target = event.target ? `{"id":${str(event.target.id)},"type":${str(event.target.type)}}` : 'null';
  return (
    `{"action":${str(event.action)},"actor":{"id":${str(event.actor.id)},"type":${str(event.actor.type)}}` +
    `,"clientIp":${str(event.clientIp)},"details":${details},"id":${str(event.id)}` +
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

/** One-shot hashing (Node.js 20.12 and later): about half the cost of a Hash object per event. */
const oneShot = (nodeCrypto as { hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string }).hash;
/** previous ‖ UTF-8(text), written in place; grown when an event could not fit (3 bytes per UTF-16 unit at most). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** The same with hashes as lowercase hex, as walks read them (no buffers to allocate). */
export function chainHashHex(previous: string, event: ChainedEvent | ChainedEventText): string {
  const text = canonicalEvent(event);
  if (32 + text.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(32 + text.length * 3);
  // A stored hash that is not 32 bytes (tampered) is hashed as it is, and the walk reports the mismatch.
  if (!oneShot || scratch.write(previous, 0, 'hex') !== 32) return createHash('sha256').update(previous, 'hex').update(text, 'utf8').digest('hex');
  const length = 32 + scratch.write(text, 32, 'utf8');
  return oneShot('sha256', scratch.subarray(0, length), 'hex');
}

/** Lowercase hex (what digests and the database give; a walk compares hashes as text). */
const hexOf = (hash: Buffer | string) => (typeof hash === 'string' ? hash : hash.toString('hex'));

export type ChainVerdict =
  | { status: 'intact'; checked: number; lastSeq: number; lastHash: string }
  | { status: 'broken'; checked: number; brokenAt: number; reason: string };

/**
 * Walk events in the order given (which must be ascending seq), from the hash before the first.
 * Reports the first event whose position or hash does not follow: an edited event (its hash no
 * longer matches its content), a deleted one (a gap), reordered ones, or a chain that starts late.
 */
export function createChainWalker(start: { seq: number; hash: Buffer | string } = { seq: 0, hash: GENESIS_HASH }) {
  let expectedSeq = start.seq + 1;
  let previous = hexOf(start.hash);
  let checked = 0;
  let broken: ChainVerdict | undefined;
  return {
    /** Hashes as buffers or lowercase hex (as read: a walk of hex skips converting them). */
    push(event: (ChainedEvent | ChainedEventText) & { hash: Buffer | string }): boolean {
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
      const stored = hexOf(event.hash);
      if (chainHashHex(previous, event) !== stored) {
        broken = { status: 'broken', checked, brokenAt: event.seq, reason: `event ${event.seq} does not match its hash (altered, or an earlier event was)` };
        return false;
      }
      previous = stored;
      expectedSeq += 1;
      checked += 1;
      return true;
    },
    /** The verdict so far; `expectedLast` reports a missing tail when the chain should reach further. */
    verdict(expectedLast?: { seq: number; hash: Buffer | string }): ChainVerdict {
      if (broken) return broken;
      const lastSeq = expectedSeq - 1;
      if (expectedLast && expectedLast.seq > lastSeq) {
        return { status: 'broken', checked, brokenAt: lastSeq + 1, reason: `events ${lastSeq + 1}–${expectedLast.seq} are missing from the end` };
      }
      if (expectedLast && expectedLast.seq === lastSeq && hexOf(expectedLast.hash) !== previous) {
        return { status: 'broken', checked, brokenAt: lastSeq, reason: `event ${lastSeq} differs from the recorded head of the chain` };
      }
      return { status: 'intact', checked, lastSeq, lastHash: previous };
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
