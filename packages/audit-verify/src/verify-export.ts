import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createChainWalker, type ChainVerdict } from './chain.js';

/**
 * Verify an NDJSON export (as GET /api/v1/audit-logs/export writes it): a header line, then one
 * event per line. Streams the file, so memory stays constant whatever its size.
 */
export interface ExportHeader {
  type: 'aim.audit_export';
  version: number;
  organizationId: string;
  fromSeq: number | null;
  toSeq: number | null;
  previousHash: string;
  /** When the export was made (ISO 8601): checkpoints signed after it are not expected to be covered. */
  exportedAt?: string;
}

export interface ExportVerdict {
  header: ExportHeader;
  verdict: ChainVerdict;
  /** Events read from the file. */
  events: number;
  /**
   * seq → hash of every event read, for checking checkpoints (only the seqs asked for are kept),
   * and of the position before the first event (the header's previousHash).
   */
  hashesAt: Map<number, string>;
}

export class ExportFormatError extends Error {}

/** The members of an export line (docs/audit.md §4): §1's, except organizationId, plus hash. */
const LINE_MEMBERS = ['action', 'actor', 'clientIp', 'details', 'hash', 'id', 'occurredAt', 'outcome', 'requestId', 'seq', 'target', 'userAgent'];
const REF_MEMBERS = ['id', 'type'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sameMembers = (v: Record<string, unknown>, members: string[]) => {
  const keys = Object.keys(v).sort();
  return keys.length === members.length && keys.every((k, i) => k === members[i]);
};
const isRef = (v: unknown) => isObject(v) && sameMembers(v, REF_MEMBERS) && typeof v.type === 'string' && (v.id === null || typeof v.id === 'string');
const stringOrNull = (v: unknown) => v === null || typeof v === 'string';

/**
 * Why an event line is not one the chain covers whole, or null when it is. Whatever the hash does not
 * cover (an extra member, here or in actor or target) could be added by anyone, so a line carrying one
 * is not intact even when its hash matches; a member left out is not the line that was hashed either.
 */
function uncovered(record: Record<string, unknown>): string | null {
  const extra = Object.keys(record).filter((k) => !LINE_MEMBERS.includes(k));
  if (extra.length > 0) return `carries member(s) the hash does not cover: ${extra.join(', ')}`;
  const missing = LINE_MEMBERS.filter((k) => !(k in record));
  if (missing.length > 0) return `lacks member(s) ${missing.join(', ')}`;
  if (!isRef(record.actor)) return 'has an actor that is not exactly {"type", "id"}';
  if (record.target !== null && !isRef(record.target)) return 'has a target that is neither null nor exactly {"type", "id"}';
  if (!isObject(record.details)) return 'has details that are not a JSON object';
  for (const k of ['id', 'occurredAt', 'action', 'outcome', 'hash'] as const) if (typeof record[k] !== 'string') return `has a ${k} that is not a string`;
  for (const k of ['requestId', 'clientIp', 'userAgent'] as const) if (!stringOrNull(record[k])) return `has a ${k} that is neither a string nor null`;
  return null;
}

export async function verifyExportLines(
  lines: AsyncIterable<string>,
  options: { keepHashesAt?: ReadonlySet<number> } = {},
): Promise<ExportVerdict> {
  let header: ExportHeader | undefined;
  let walker: ReturnType<typeof createChainWalker> | undefined;
  let events = 0;
  let lineNumber = 0;
  const hashesAt = new Map<number, string>();
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ExportFormatError(`line ${lineNumber} is not JSON`);
    }
    if (!header) {
      if (record.type !== 'aim.audit_export') throw new ExportFormatError('the first line is not an AIM audit export header');
      // A later version may hash differently: this verifier reads version 1 only (docs/audit.md §4).
      if (record.version !== 1) throw new ExportFormatError(`the export is version ${JSON.stringify(record.version)}; this verifier reads version 1`);
      if (typeof record.organizationId !== 'string' || record.organizationId === '') throw new ExportFormatError("the header's organizationId is not a string");
      const position = (v: unknown) => v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
      if (!position(record.fromSeq) || !position(record.toSeq) || (record.fromSeq === null) !== (record.toSeq === null)) {
        throw new ExportFormatError("the header's fromSeq and toSeq are not both positions (integers from 0) or both null");
      }
      header = record as unknown as ExportHeader;
      const start = (header.fromSeq ?? 1) - 1;
      if (typeof header.previousHash !== 'string' || !/^[0-9a-f]{64}$/.test(header.previousHash)) {
        throw new ExportFormatError('the header\'s previousHash is not 64 lower-case hex digits');
      }
      walker = createChainWalker({ seq: start, hash: Buffer.from(header.previousHash, 'hex') });
      // The hash the export starts from (the anchor, or the event before the range) is checked too.
      if (start > 0 && options.keepHashesAt?.has(start)) hashesAt.set(start, header.previousHash);
      continue;
    }
    const seq = record.seq as number;
    const problem = uncovered(record);
    if (problem !== null) {
      // The first failure is the one reported: an earlier event may already have broken the chain.
      const sofar = walker!.verdict();
      const verdict: ChainVerdict =
        sofar.status === 'broken'
          ? sofar
          : { status: 'broken', checked: sofar.checked, brokenAt: sofar.lastSeq + 1, reason: `the line of event ${JSON.stringify(seq) ?? '?'} ${problem}` };
      return { header, events, hashesAt, verdict };
    }
    const hash = String(record.hash ?? '');
    if (options.keepHashesAt?.has(seq)) hashesAt.set(seq, hash);
    events += 1;
    walker!.push({
      id: record.id as string,
      organizationId: header.organizationId,
      seq,
      occurredAt: record.occurredAt as string,
      actor: record.actor as { type: string; id: string | null },
      action: record.action as string,
      target: (record.target as { type: string; id: string | null } | null) ?? null,
      outcome: record.outcome as string,
      requestId: (record.requestId as string | null) ?? null,
      clientIp: (record.clientIp as string | null) ?? null,
      userAgent: (record.userAgent as string | null) ?? null,
      details: (record.details as Record<string, unknown>) ?? {},
      hash: Buffer.from(hash, 'hex'),
    });
  }
  if (!header || !walker) throw new ExportFormatError('the file is empty');
  const expectedLast = header.toSeq !== null ? { seq: header.toSeq } : undefined;
  const verdict = walker.verdict();
  if (verdict.status === 'intact' && expectedLast && verdict.lastSeq < expectedLast.seq) {
    return {
      header,
      events,
      hashesAt,
      verdict: { status: 'broken', checked: verdict.checked, brokenAt: verdict.lastSeq + 1, reason: `events ${verdict.lastSeq + 1}–${expectedLast.seq} are missing from the end` },
    };
  }
  return { header, verdict, events, hashesAt };
}

export function verifyExportFile(path: string, options: { keepHashesAt?: ReadonlySet<number> } = {}): Promise<ExportVerdict> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  return verifyExportLines(lines, options);
}
