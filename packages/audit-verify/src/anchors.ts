import type * as pkijs from 'pkijs';
import { checkAgainstChain, checkSignatures, type Checkpoint, type CheckpointProblem, type Jwks } from './checkpoints.js';
import { timestampedBytes, verifyToken } from './timestamp.js';
import { compareWithWitness, type Witness } from './witness.js';

/**
 * Everything outside an export that vouches for it (docs/audit.md §5–§8): the checkpoints file and
 * key file, the witness, and the checkpoints' time-stamps. Called once the export's own chain is
 * intact; returns the problems (sorted by position) and what was checked.
 */
export interface AnchorInput {
  organizationId: string;
  fromSeq: number | null;
  lastSeq: number;
  /**
   * When the export was made (its header's exportedAt, in ms): a checkpoint signed after it may cover
   * events the export could not hold, so one beyond the export's end is not taken as a cut tail.
   */
  exportedAt: number | undefined;
  /** seq → hex hash the export has there (the checkpoints' and witness checkpoints' positions). */
  hashAt: (seq: number) => string | undefined;
  checkpoints: Checkpoint[];
  jwks: Jwks | undefined;
  witness: Witness | undefined;
  pins: ReadonlySet<string> | undefined;
  /** Trusted time-stamping authority certificates (--tsa-ca); time-stamps are not checked without. */
  tsaCas: pkijs.Certificate[] | undefined;
}

export interface AnchorReport {
  /** Each problem's text names what failed (the reason a verifier prints). */
  problems: CheckpointProblem[];
  /** Checkpoints of the organization in range: from the checkpoints file, from the witness. */
  checkpoints: number;
  witnessCheckpoints: number;
  /** Checkpoints of the file the witness does not hold (yet). */
  unwitnessed: number[];
  /** Checkpoints (file and witness) beyond the export's end but signed after it was made: not evidence of a cut tail. */
  later: number;
  /** Checkpoints (file and witness) checked against the export's chain: what anchors it. */
  anchoring: number;
  /** With --tsa-ca: checkpoints whose token verified (seq and genTime), and those without a token. */
  timestamps: { verified: { seq: number; genTime: string }[]; gaps: { seq: number; status: string }[] } | undefined;
}

/** The checkpoints that speak about an export: its organization's, from the one before its first event on. */
export const relevantTo = (organizationId: string, fromSeq: number | null) => (c: Checkpoint) =>
  c.organizationId === organizationId && c.seq >= (fromSeq ?? 1) - 1 && c.seq >= 1;

export async function checkAnchors(input: AnchorInput): Promise<AnchorReport> {
  const relevant = relevantTo(input.organizationId, input.fromSeq);
  let later = 0;
  let anchoring = 0;
  const before = (list: Checkpoint[]) => {
    const kept = list.filter((c) => {
      const after = input.exportedAt !== undefined && c.seq > input.lastSeq && Date.parse(c.signedAt) > input.exportedAt;
      if (after) later += 1;
      return !after;
    });
    anchoring += kept.length;
    return kept;
  };
  const mine = input.checkpoints.filter(relevant);
  const pins = input.pins ? { pins: input.pins } : {};
  const problems: CheckpointProblem[] = [];
  const named = (p: CheckpointProblem) => ({ seq: p.seq, problem: `checkpoint ${p.seq}: ${p.problem}` });
  if (input.jwks) problems.push(...[...checkSignatures(mine, input.jwks, pins), ...checkAgainstChain(before(mine), input.hashAt, input.lastSeq)].map(named));
  let unwitnessed: number[] = [];
  let witnessCheckpoints = 0;
  if (input.witness) {
    const compared = compareWithWitness(input.witness, mine, input.jwks);
    problems.push(...compared.problems);
    unwitnessed = compared.unwitnessed;
    // The witness's own checkpoints are checkpoints too: signed by the keys it published, and pinned.
    // One beyond the export's last event is a cut tail, even when the database's checkpoints were removed.
    const held = input.witness.checkpoints.filter(relevant);
    witnessCheckpoints = held.length;
    const said = (p: CheckpointProblem) => ({ seq: p.seq, problem: `the witness's checkpoint ${p.seq}: ${p.problem}` });
    problems.push(...checkSignatures(held, input.witness.jwks, pins).map(said), ...checkAgainstChain(before(held), input.hashAt, input.lastSeq).map(said));
  }
  let timestamps: AnchorReport['timestamps'];
  if (input.tsaCas) {
    timestamps = { verified: [], gaps: [] };
    for (const c of mine) {
      if (typeof c.tsaToken !== 'string' || c.tsaToken === '') {
        timestamps.gaps.push({ seq: c.seq, status: c.tsaStatus ?? 'none' });
        continue;
      }
      const check = await verifyToken(Buffer.from(c.tsaToken, 'base64'), timestampedBytes(c), input.tsaCas);
      if (check.ok) timestamps.verified.push({ seq: c.seq, genTime: check.genTime.toISOString() });
      else problems.push({ seq: c.seq, problem: `checkpoint ${c.seq}: its time-stamp: ${check.problem}` });
    }
  }
  problems.sort((x, y) => x.seq - y.seq);
  return { problems, checkpoints: mine.length, witnessCheckpoints, unwitnessed, later, anchoring, timestamps };
}
