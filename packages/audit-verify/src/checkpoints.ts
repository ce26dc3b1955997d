import { createPublicKey, verify } from 'node:crypto';
import { checkpointMessage, type CheckpointPayload } from './chain.js';

/**
 * Signed checkpoints, as GET /api/v1/audit-logs/checkpoints lists them, checked against the public
 * keys of GET /.well-known/aim-audit-keys.json (a JWK set).
 */
export interface Checkpoint extends CheckpointPayload {
  kid: string;
  /** base64url Ed25519 signature over checkpointMessage(payload) */
  signature: string;
}

export interface Jwks {
  keys: ({ kid?: string } & Record<string, unknown>)[];
}

export type CheckpointProblem = { seq: number; problem: string };

/** Signatures first: a checkpoint that is not signed by a published key is worth nothing. */
export function checkSignatures(checkpoints: Checkpoint[], jwks: Jwks): CheckpointProblem[] {
  const problems: CheckpointProblem[] = [];
  for (const checkpoint of checkpoints) {
    const jwk = jwks.keys.find((k) => k.kid === checkpoint.kid);
    if (!jwk) {
      problems.push({ seq: checkpoint.seq, problem: `signed by unknown key ${checkpoint.kid}` });
      continue;
    }
    const key = createPublicKey({ key: jwk as never, format: 'jwk' });
    const ok = verify(null, checkpointMessage(checkpoint), key, Buffer.from(checkpoint.signature, 'base64url'));
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
