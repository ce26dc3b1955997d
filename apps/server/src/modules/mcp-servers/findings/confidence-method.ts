import type { AlertSeverity, mcpConfidenceSchema, MCP_CONFIDENCE_FACTORS } from '@aim/contracts';
import type { z } from 'zod';

/**
 * The confidence score of an MCP server (docs/mcp.md, "confidence"), built like agents' trust scores
 * (docs/trust-scoring.md): five weighted factors, each a value from 0 to 1 computed from stored
 * evidence, or null (unknown) when there is none. The score is the weighted mean of the known
 * factors; `confidence` is the share of the weight they carry. Pure: the same evidence gives the
 * same answer. Weights, windows and formulas live here and nowhere else.
 */

export const MCP_CONFIDENCE_ALGORITHM = 'aim-mcp-confidence/1';

type FactorKey = (typeof MCP_CONFIDENCE_FACTORS)[number];
export type McpConfidence = z.infer<typeof mcpConfidenceSchema>;
type Factor = McpConfidence['factors'][number];

export const MCP_CONFIDENCE_WEIGHTS = [
  { key: 'identity', label: 'Identity', weight: 0.3 },
  { key: 'scans', label: 'Scans', weight: 0.2 },
  { key: 'attestations', label: 'Attestations', weight: 0.2 },
  { key: 'driftHistory', label: 'Drift history', weight: 0.15 },
  { key: 'findings', label: 'Open findings', weight: 0.15 },
] as const satisfies readonly { key: FactorKey; label: string; weight: number }[];

export const MCP_CONFIDENCE_CONSTANTS = {
  /** Scans, TLS certificates and attestations are read from this window. */
  windowDays: 30,
  /** Drift findings and drifted time are read from this window. */
  driftWindowDays: 90,
  /** Server card: valid 1; a key but no signed card 0.5; no key and no card 0.25; invalid 0. */
  card: { valid: 1, keyWithoutCard: 0.5, nothing: 0.25, invalid: 0 },
  /** Each change of TLS certificate between scans in the window takes this much off (floor 0). */
  tlsChangePenalty: 0.25,
  /** An open tls_certificate_changed finding caps the TLS part at this. */
  tlsOpenFindingCap: 0.5,
  /** Each drift finding in the drift window multiplies the value by this. */
  driftDecay: 0.85,
  /** Weight of one open finding by severity; value = exp(−Σ / findingScale). */
  findingWeight: { info: 0, low: 1, medium: 3, high: 7, critical: 15 } as Record<AlertSeverity, number>,
  findingScale: 10,
} as const;

/** What the method reads, gathered at `asOf` (confidence-evidence.ts). */
export interface McpConfidenceEvidence {
  asOf: string;
  identity: {
    activeKeys: number;
    /** The server card status of the latest successful scan; null: never scanned successfully. */
    serverCard: 'absent' | 'unsigned' | 'valid' | 'invalid' | null;
    /** Open server_card_invalid findings of high or critical severity (the card does not verify). */
    openCardInvalid: number;
    /** TLS certificate fingerprints of the successful scans in the window, oldest first. */
    tlsCertificates: string[];
    openTlsChanged: number;
  };
  scans: { succeeded: number; failed: number };
  /** The latest attestation of each agent in the window, by what it concluded. */
  attestations: { agents: number; matching: number; mismatching: number };
  drift: {
    /** The first approval of the server's tool set; null: never approved. */
    firstApprovedAt: string | null;
    /** Drift findings open in the drift window (not dismissed). */
    findings: { firstSeenAt: string; resolvedAt: string | null }[];
  };
  findings: {
    /** A successful scan ran the heuristics at least once. */
    scanned: boolean;
    /** Open findings other than drift, by severity. */
    open: Record<AlertSeverity, number>;
  };
}

type Part = Pick<Factor, 'value' | 'explanation' | 'evidence'>;
const DAY_MS = 86_400_000;
const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;
const C = MCP_CONFIDENCE_CONSTANTS;

export function identity(e: McpConfidenceEvidence): Part {
  const { activeKeys, serverCard, openCardInvalid, tlsCertificates, openTlsChanged } = e.identity;
  const card =
    serverCard === 'invalid' || openCardInvalid > 0 ? C.card.invalid
    : serverCard === 'valid' ? C.card.valid
    : serverCard === null && activeKeys === 0 ? null
    : activeKeys > 0 ? C.card.keyWithoutCard
    : C.card.nothing;
  const changes = tlsCertificates.reduce((n, fp, i) => n + (i > 0 && fp !== tlsCertificates[i - 1] ? 1 : 0), 0);
  const tls = tlsCertificates.length === 0 ? null : Math.min(Math.max(0, 1 - C.tlsChangePenalty * changes), openTlsChanged > 0 ? C.tlsOpenFindingCap : 1);
  const parts = [card, tls].filter((p): p is number => p !== null);
  const cardText =
    card === null ? 'no key registered and never scanned'
    : card === C.card.invalid ? 'its server card did not verify'
    : card === C.card.valid ? 'its server card is signed by its registered key'
    : activeKeys > 0 ? 'a key is registered but the server publishes no signed card'
    : 'no key is registered and no signed server card';
  const tlsText = tls === null ? 'no TLS certificate seen' : `${changes} TLS certificate change${changes === 1 ? '' : 's'} in ${C.windowDays} days${openTlsChanged > 0 ? ' (an open finding)' : ''}`;
  return {
    value: parts.length === 0 ? null : parts.reduce((a, b) => a + b, 0) / parts.length,
    explanation: parts.length === 0 ? 'Unknown: no key, no scan, no certificate.' : `Mean of the card (${cardText}) and TLS stability (${tlsText}).`,
    evidence: { activeKeys, serverCard, cardValue: card, tlsCertificatesSeen: tlsCertificates.length, tlsChanges: changes, tlsValue: tls, openIdentityFindings: openCardInvalid + openTlsChanged },
  };
}

export function scans(e: McpConfidenceEvidence): Part {
  const { succeeded, failed } = e.scans;
  const total = succeeded + failed;
  return {
    value: total === 0 ? null : succeeded / total,
    explanation: total === 0 ? `Unknown: no scan in ${C.windowDays} days.` : `${succeeded} of ${total} scans in ${C.windowDays} days succeeded.`,
    evidence: { succeeded, failed },
  };
}

export function attestations(e: McpConfidenceEvidence): Part {
  const { agents, matching, mismatching } = e.attestations;
  const compared = matching + mismatching;
  return {
    value: compared === 0 ? null : matching / compared,
    explanation:
      compared === 0
        ? `Unknown: no agent attested what it saw in ${C.windowDays} days${agents > 0 ? ' in a way AIM could compare' : ''}.`
        : `${matching} of ${compared} attesting agents saw the same tools as AIM (their latest attestation in ${C.windowDays} days).`,
    evidence: { agents, matching, mismatching },
  };
}

/** Milliseconds covered by the union of the intervals. */
function unionMs(intervals: [number, number][]): number {
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}

export function driftHistory(e: McpConfidenceEvidence): Part {
  const asOf = Date.parse(e.asOf);
  const approved = e.drift.firstApprovedAt ? Date.parse(e.drift.firstApprovedAt) : null;
  const from = approved === null ? null : Math.max(approved, asOf - C.driftWindowDays * DAY_MS);
  if (from === null || asOf <= from) {
    return { value: null, explanation: 'Unknown: the tool set was never approved, so nothing could drift from it.', evidence: { driftFindings: 0, driftedHours: null, observedHours: null } };
  }
  const intervals = e.drift.findings
    .map((f): [number, number] => [Math.max(Date.parse(f.firstSeenAt), from), Math.min(f.resolvedAt ? Date.parse(f.resolvedAt) : asOf, asOf)])
    .filter(([a, b]) => b > a);
  const drifted = unionMs(intervals);
  const observed = asOf - from;
  const count = e.drift.findings.length;
  const value = (1 - drifted / observed) * C.driftDecay ** count;
  return {
    value,
    explanation: `${count} drift finding${count === 1 ? '' : 's'} in ${C.driftWindowDays} days; drifted ${round((100 * drifted) / observed, 1)} % of the time since approval (value = approved share × ${C.driftDecay}^findings).`,
    evidence: { driftFindings: count, driftedHours: round(drifted / 3_600_000, 2), observedHours: round(observed / 3_600_000, 2) },
  };
}

export function findings(e: McpConfidenceEvidence): Part {
  const { scanned, open } = e.findings;
  const total = Object.values(open).reduce((a, b) => a + b, 0);
  const weighted = (Object.entries(open) as [AlertSeverity, number][]).reduce((s, [sev, n]) => s + C.findingWeight[sev] * n, 0);
  if (!scanned && total === 0) return { value: null, explanation: 'Unknown: never scanned, so the heuristics have not read its tools.', evidence: { ...open, weighted: 0 } };
  return {
    value: Math.exp(-weighted / C.findingScale),
    explanation: total === 0 ? 'No open findings.' : `${total} open finding${total === 1 ? '' : 's'} (drift aside), severity-weighted ${weighted}: value = exp(−${weighted}/${C.findingScale}).`,
    evidence: { ...open, weighted },
  };
}

const PARTS: Record<FactorKey, (e: McpConfidenceEvidence) => Part> = { identity, scans, attestations, driftHistory, findings };

/** The score, confidence and factor breakdown of a server for the evidence. */
export function computeMcpConfidence(mcpServerId: string, evidence: McpConfidenceEvidence): McpConfidence {
  const parts = MCP_CONFIDENCE_WEIGHTS.map((f) => ({ f, part: PARTS[f.key](evidence) }));
  const knownWeight = parts.reduce((s, { f, part }) => s + (part.value === null ? 0 : f.weight), 0);
  const factors: Factor[] = parts.map(({ f, part }) => ({
    key: f.key,
    label: f.label,
    weight: f.weight,
    value: part.value === null ? null : round(part.value, 4),
    contribution: part.value === null || knownWeight === 0 ? 0 : round(((f.weight / knownWeight) * part.value * 100), 4),
    explanation: part.explanation,
    evidence: part.evidence,
  }));
  const score = knownWeight === 0 ? null : round(parts.reduce((s, { f, part }) => s + (part.value === null ? 0 : (f.weight / knownWeight) * part.value * 100), 0), 2);
  return { mcpServerId, score, confidence: round(knownWeight, 3), factors, algorithmVersion: MCP_CONFIDENCE_ALGORITHM, computedAt: evidence.asOf };
}
