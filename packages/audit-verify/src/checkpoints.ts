import { createHash, createPublicKey, verify } from 'node:crypto';
import { checkpointMessage, type CheckpointPayload } from './chain.js';

/**
 * Signed checkpoints, as GET /api/v1/audit-logs/checkpoints lists them, checked against the public
 * keys of GET /.well-known/aim-audit-keys.json (a JWK set).
 */
export interface Checkpoint extends CheckpointPayload {
  kid: string;
  /** base64url Ed25519 signature over checkpointMessage(payload) */
  signature: string;
  /** The RFC 3161 TimeStampToken over the signature (DER, base64), when the authority gave one (docs/audit.md §7). */
  tsaToken?: string | null;
  /** none (no authority configured), pending, stamped or failed. */
  tsaStatus?: string;
}

export interface Jwks {
  keys: ({ kid?: string } & Record<string, unknown>)[];
}

export type CheckpointProblem = { seq: number; problem: string };

/**
 * A key's fingerprint: its RFC 7638 JWK thumbprint with SHA-256, base64url without padding — the
 * SHA-256 of the UTF-8 bytes of `{"crv":"Ed25519","kty":"OKP","x":"<x>"}`. Auditors pin these.
 */
export function keyFingerprint(jwk: Record<string, unknown>): string {
  const members = `{"crv":${JSON.stringify(jwk.crv)},"kty":${JSON.stringify(jwk.kty)},"x":${JSON.stringify(jwk.x)}}`;
  return createHash('sha256').update(members, 'utf8').digest('base64url');
}

/** What an Ed25519 public JWK must look like; anything else cannot sign a checkpoint. */
const isEd25519PublicJwk = (jwk: Record<string, unknown>) =>
  jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string' && /^[A-Za-z0-9_-]{43}$/.test(jwk.x);

export interface SignatureOptions {
  /**
   * Fingerprints (keyFingerprint) of the keys the auditor trusts, obtained out of band. When given,
   * a checkpoint signed by any other key is refused, even if the key file lists that key.
   */
  pins?: ReadonlySet<string>;
}

/** Signatures first: a checkpoint that is not signed by a published (and, with pins, pinned) key is worth nothing. */
export function checkSignatures(checkpoints: Checkpoint[], jwks: Jwks, options: SignatureOptions = {}): CheckpointProblem[] {
  const problems: CheckpointProblem[] = [];
  for (const checkpoint of checkpoints) {
    const named = jwks.keys.filter((k) => k.kid === checkpoint.kid);
    const jwk = named[0];
    if (!jwk) {
      problems.push({ seq: checkpoint.seq, problem: `signed by unknown key ${checkpoint.kid}` });
      continue;
    }
    if (named.length > 1) {
      problems.push({ seq: checkpoint.seq, problem: `the key file lists key ${checkpoint.kid} more than once` });
      continue;
    }
    if (!isEd25519PublicJwk(jwk)) {
      problems.push({ seq: checkpoint.seq, problem: `key ${checkpoint.kid} is not an Ed25519 public key (kty OKP, crv Ed25519)` });
      continue;
    }
    const fingerprint = keyFingerprint(jwk);
    if (options.pins && !options.pins.has(fingerprint)) {
      problems.push({ seq: checkpoint.seq, problem: `signed by key ${checkpoint.kid} (fingerprint ${fingerprint}), which is not pinned` });
      continue;
    }
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }, format: 'jwk' });
    let signature: Buffer | undefined;
    if (typeof checkpoint.signature === 'string' && /^[A-Za-z0-9_-]{86}$/.test(checkpoint.signature)) signature = Buffer.from(checkpoint.signature, 'base64url');
    const ok = signature !== undefined && verify(null, checkpointMessage(checkpoint), key, signature);
    if (!ok) problems.push({ seq: checkpoint.seq, problem: 'the signature does not verify' });
  }
  return problems;
}

/**
 * Checkpoints against the hashes an export (or the database) has at their positions: a different
 * hash means the chain was rewritten there; a checkpoint beyond the end means the tail was cut.
 */
export function checkAgainstChain(checkpoints: Checkpoint[], hashAt: (seq: number) => string | undefined, lastSeq: number): CheckpointProblem[] {
  const problems: CheckpointProblem[] = [];
  for (const checkpoint of checkpoints) {
    if (checkpoint.seq > lastSeq) {
      problems.push({ seq: checkpoint.seq, problem: `the chain ends at ${lastSeq}, before this checkpoint: events are missing from the end` });
      continue;
    }
    const hash = hashAt(checkpoint.seq);
    if (hash !== undefined && hash !== checkpoint.hash) {
      problems.push({ seq: checkpoint.seq, problem: 'the chain has another hash here than the signed checkpoint: it was rewritten' });
    }
  }
  return problems;
}
