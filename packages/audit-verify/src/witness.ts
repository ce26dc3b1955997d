import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { keyFingerprint, type Checkpoint, type Jwks } from './checkpoints.js';
import { ExportFormatError } from './verify-export.js';

/**
 * The witness (docs/audit.md §8): an append-only NDJSON record, kept outside AIM's database, of every
 * checkpoint key and every checkpoint AIM signed. Someone who can rewrite the database cannot take
 * back what the witness already holds.
 */
export interface WitnessKeyRecord {
  type: 'aim.audit_key';
  kid: string;
  /** keyFingerprint(jwk): RFC 7638 SHA-256 thumbprint, base64url */
  fingerprint: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  publishedAt: string;
}

export interface WitnessCheckpointRecord extends Checkpoint {
  type: 'aim.audit_checkpoint';
  publishedAt: string;
}

export type WitnessRecord = WitnessKeyRecord | WitnessCheckpointRecord;

export function witnessKeyRecord(jwk: Record<string, unknown>, publishedAt: string): WitnessKeyRecord {
  return {
    type: 'aim.audit_key',
    kid: String(jwk.kid),
    fingerprint: keyFingerprint(jwk),
    jwk: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) },
    publishedAt,
  };
}

export function witnessCheckpointRecord(c: Checkpoint, publishedAt: string): WitnessCheckpointRecord {
  return { type: 'aim.audit_checkpoint', organizationId: c.organizationId, seq: c.seq, hash: c.hash, signedAt: c.signedAt, kid: c.kid, signature: c.signature, publishedAt };
}

export interface Witness {
  keys: WitnessKeyRecord[];
  /** Fingerprints of every key the witness holds. */
  fingerprints: Set<string>;
  checkpoints: WitnessCheckpointRecord[];
  /** The witness's keys as a JWK set, to check its checkpoints' signatures. */
  jwks: Jwks;
}

const text = (v: unknown) => typeof v === 'string' && v.length > 0;

/** Read a witness file; a line that is not a witness record makes the file unusable (exit code 2). */
export async function readWitness(path: string): Promise<Witness> {
  const witness: Witness = { keys: [], fingerprints: new Set(), checkpoints: [], jwks: { keys: [] } };
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    n += 1;
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ExportFormatError(`${path}: line ${n} of the witness is not JSON`);
    }
    if (record.type === 'aim.audit_key') {
      const jwk = record.jwk as Record<string, unknown> | undefined;
      if (!text(record.kid) || !jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !text(jwk.x)) throw new ExportFormatError(`${path}: line ${n} is not a key record`);
      const key = record as unknown as WitnessKeyRecord;
      // The fingerprint is recomputed: the record's own member is informative.
      const fingerprint = keyFingerprint(jwk);
      // The same key published twice (a retry, two instances) is one key; a kid reused for another key is not.
      if (witness.keys.some((k) => k.kid === key.kid && k.fingerprint === fingerprint)) continue;
      witness.keys.push({ ...key, fingerprint });
      witness.fingerprints.add(fingerprint);
      witness.jwks.keys.push({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: key.kid });
    } else if (record.type === 'aim.audit_checkpoint') {
      if (!text(record.organizationId) || !Number.isSafeInteger(record.seq) || !text(record.hash) || !text(record.kid) || !text(record.signature) || !text(record.signedAt)) {
        throw new ExportFormatError(`${path}: line ${n} is not a checkpoint record`);
      }
      witness.checkpoints.push(record as unknown as WitnessCheckpointRecord);
    } else {
      throw new ExportFormatError(`${path}: line ${n} is neither an aim.audit_key nor an aim.audit_checkpoint record`);
    }
  }
  return witness;
}

export type WitnessProblem = { seq: number; problem: string };

/**
 * What the witness says about a key file and a checkpoints file: a key (listed, or signing a
 * checkpoint) the witness never held was put there later; a checkpoint that differs from the witness's
 * at the same position was replaced. Checkpoints the witness does not hold (yet) are returned apart:
 * a gap, not a contradiction (the witness may have been unreachable when they were made).
 */
export function compareWithWitness(witness: Witness, checkpoints: Checkpoint[], jwks: Jwks | undefined): { problems: WitnessProblem[]; unwitnessed: number[] } {
  const problems: WitnessProblem[] = [];
  const unwitnessed: number[] = [];
  const keyOf = new Map<string, Record<string, unknown>>();
  for (const key of jwks?.keys ?? []) if (typeof key.kid === 'string') keyOf.set(key.kid, key);
  for (const key of jwks?.keys ?? []) {
    if (key.kty !== 'OKP' || key.crv !== 'Ed25519' || typeof key.x !== 'string') continue;
    const fingerprint = keyFingerprint(key);
    if (!witness.fingerprints.has(fingerprint)) {
      const signed = checkpoints.filter((c) => c.kid === key.kid).map((c) => c.seq);
      problems.push({
        seq: signed.length > 0 ? Math.min(...signed) : 0,
        problem: `the key file lists key ${String(key.kid)} (fingerprint ${fingerprint}), which the witness never published: the key was replaced or added`,
      });
    }
  }
  const held = new Map<string, WitnessCheckpointRecord[]>();
  for (const c of witness.checkpoints) held.set(`${c.organizationId} ${c.seq}`, [...(held.get(`${c.organizationId} ${c.seq}`) ?? []), c]);
  for (const c of checkpoints) {
    const same = held.get(`${c.organizationId} ${c.seq}`) ?? [];
    const key = keyOf.get(c.kid);
    if (jwks && key?.x !== undefined && !witness.fingerprints.has(keyFingerprint(key))) {
      problems.push({ seq: c.seq, problem: `checkpoint ${c.seq} is signed by key ${c.kid}, which the witness never published` });
      continue;
    }
    if (same.length === 0) {
      unwitnessed.push(c.seq);
      continue;
    }
    const identical = same.some((w) => w.hash === c.hash && w.signature === c.signature && w.signedAt === c.signedAt && w.kid === c.kid);
    if (!identical) {
      problems.push({ seq: c.seq, problem: `checkpoint ${c.seq} differs from the one the witness holds at that position (hash ${same[0]!.hash.slice(0, 12)}…): it was replaced` });
    }
  }
  return { problems, unwitnessed };
}
