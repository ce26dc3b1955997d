import type { McpToolDiff } from '@aim/contracts';
import type { ToolRef } from './attestation-repository.js';

/**
 * What an attestation is compared with (docs/mcp.md, "Comparisons"), as pure functions: AIM's latest
 * successful scan of the server and the other agents' latest attestations of it. Sets are compared by
 * their set fingerprint; where two differ, the tools that differ are named by comparing the tools'
 * fingerprints (agents send fingerprints, not definitions, so a change is named, not shown field by field).
 */

export type Source = { type: 'scan'; scanId: string } | { type: 'agent'; agentId: string; attestationId: string };

export interface ToolSet {
  source: Source;
  toolSetFingerprint: string;
  tools: readonly ToolRef[];
}

export interface Disagreement {
  /** The finding's dedup key: the same two sets, in either order, count on one finding. */
  dedupKey: string;
  /** The reference set this attestation differs from, and who saw it. */
  reference: { toolSetFingerprint: string; sources: Source[] };
  /** The attested set and who saw it (the attesting agent first). */
  attested: { toolSetFingerprint: string; sources: Source[] };
  /** From the reference set to the attested one: added = only the attesting side lists it. */
  diff: McpToolDiff[];
}

export interface Outcome {
  comparison: 'match' | 'mismatch' | 'no_reference';
  disagreements: Disagreement[];
}

/** Pairs of sets, as finding keys: `attestation_mismatch:<server>:<lower fingerprint>:<higher fingerprint>`. */
export const pairKey = (mcpServerId: string, a: string, b: string) => `attestation_mismatch:${mcpServerId}:${a < b ? a : b}:${a < b ? b : a}`;

/** The tools that differ between two sets, named, sorted by name. */
export function toolDiff(reference: readonly ToolRef[], attested: readonly ToolRef[]): McpToolDiff[] {
  const before = new Map(reference.map((t) => [t.name, t.fingerprint]));
  const after = new Map(attested.map((t) => [t.name, t.fingerprint]));
  const diff: McpToolDiff[] = [];
  for (const [name, fingerprint] of after) {
    const was = before.get(name);
    if (was === undefined) diff.push({ name, change: 'added', pinnedFingerprint: null, currentFingerprint: fingerprint, fields: [] });
    else if (was !== fingerprint) diff.push({ name, change: 'changed', pinnedFingerprint: was, currentFingerprint: fingerprint, fields: [] });
  }
  for (const [name, fingerprint] of before) {
    if (!after.has(name)) diff.push({ name, change: 'removed', pinnedFingerprint: fingerprint, currentFingerprint: null, fields: [] });
  }
  return diff.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Compare an attested set with the references (the scan and other agents' sets; the attesting
 * agent's own earlier attestations are not references). `peers` are the sets that agree with the
 * attestation, listed as its other witnesses.
 */
export function compareAttestation(mcpServerId: string, attested: ToolSet, references: readonly ToolSet[]): Outcome {
  if (references.length === 0) return { comparison: 'no_reference', disagreements: [] };
  const groups = new Map<string, ToolSet[]>();
  for (const ref of references) groups.set(ref.toolSetFingerprint, [...(groups.get(ref.toolSetFingerprint) ?? []), ref]);
  const peers = groups.get(attested.toolSetFingerprint) ?? [];
  const disagreements: Disagreement[] = [];
  for (const [fingerprint, sets] of groups) {
    if (fingerprint === attested.toolSetFingerprint) continue;
    disagreements.push({
      dedupKey: pairKey(mcpServerId, fingerprint, attested.toolSetFingerprint),
      reference: { toolSetFingerprint: fingerprint, sources: sets.map((s) => s.source) },
      attested: { toolSetFingerprint: attested.toolSetFingerprint, sources: [attested.source, ...peers.map((p) => p.source)] },
      diff: toolDiff(sets[0]!.tools, attested.tools),
    });
  }
  return { comparison: disagreements.length === 0 ? 'match' : 'mismatch', disagreements };
}

/** Finding keys of every pair of distinct sets among the current ones: the mismatches still true. */
export function currentPairKeys(mcpServerId: string, fingerprints: readonly string[]): string[] {
  const distinct = [...new Set(fingerprints)].sort();
  const keys: string[] = [];
  for (let i = 0; i < distinct.length; i++) for (let j = i + 1; j < distinct.length; j++) keys.push(pairKey(mcpServerId, distinct[i]!, distinct[j]!));
  return keys;
}

const describeSource = (s: Source) => (s.type === 'scan' ? `AIM’s scan ${s.scanId}` : `agent ${s.agentId}`);

/** The finding's title, summary and evidence for one disagreement. */
export function mismatchFinding(serverName: string, d: Disagreement) {
  const sources = [...d.attested.sources, ...d.reference.sources];
  const agentIds = [...new Set(sources.flatMap((s) => (s.type === 'agent' ? [s.agentId] : [])))];
  const fingerprints: Record<string, string> = {};
  for (const s of d.attested.sources) fingerprints[s.type === 'agent' ? s.agentId : 'aim'] = d.attested.toolSetFingerprint;
  for (const s of d.reference.sources) fingerprints[s.type === 'agent' ? s.agentId : 'aim'] = d.reference.toolSetFingerprint;
  const names = (change: McpToolDiff['change']) => d.diff.filter((t) => t.change === change).map((t) => t.name);
  const [added, removed, changed] = [names('added'), names('removed'), names('changed')];
  const list = (label: string, items: string[]) => (items.length ? `${label}: ${items.slice(0, 20).join(', ')}${items.length > 20 ? ` and ${items.length - 20} more` : ''}` : null);
  const what = [list('listed only by the first', added), list('listed only by the second', removed), list('defined differently', changed)].filter(Boolean).join('; ');
  const scan = sources.find((s) => s.type === 'scan');
  return {
    title: `MCP server "${serverName}" shows different tools to different clients`,
    summary: `${d.attested.sources.map(describeSource).join(', ')} saw tool set ${d.attested.toolSetFingerprint.slice(0, 12)}…; ${d.reference.sources.map(describeSource).join(', ')} saw ${d.reference.toolSetFingerprint.slice(0, 12)}…. ${what || 'The sets differ.'}`,
    scanId: scan?.type === 'scan' ? scan.scanId : null,
    evidence: {
      agentIds,
      fingerprints,
      sets: [
        { toolSetFingerprint: d.attested.toolSetFingerprint, seenBy: d.attested.sources },
        { toolSetFingerprint: d.reference.toolSetFingerprint, seenBy: d.reference.sources },
      ],
      added,
      removed,
      changed,
      diff: d.diff.slice(0, 500),
    },
  };
}
