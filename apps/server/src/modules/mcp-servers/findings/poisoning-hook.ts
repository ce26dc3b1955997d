import type { McpPoisoningHeuristic } from '@aim/contracts';
import type { Tx } from '../../../platform/db/database.js';
import type { DomainEvents } from '../../../platform/events/domain-events.js';
import { loadMonitoringSettings } from '../../monitoring/index.js';
import { recordMcpFinding, resolveMcpFindings } from '../shared/findings-store.js';
import type { McpScanHook, ScanHookInput, ScannedTool } from '../shared/scan-hooks.js';
import { loadOtherServersTools } from '../shared/other-servers-tools.js';
import { checkToolShadowing, checkToolText, shadowingCandidates, verdictsByHeuristic, type HeuristicVerdict } from './poisoning-heuristics.js';
import { textFields, type TextField } from './poisoning-text.js';

/**
 * A definition's text fields and shadowing candidates, kept by fingerprint (a definition never changes
 * under its fingerprint); the oldest forgotten first.
 */
const TEXTS_KEPT = 5_000;
const textsByFingerprint = new Map<string, { fields: TextField[]; candidates: string[] }>();

function textsOf(tool: ScannedTool): { fields: TextField[]; candidates: string[] } {
  let texts = textsByFingerprint.get(tool.fingerprint);
  if (!texts) {
    const fields = textFields(tool.definition);
    texts = { fields, candidates: shadowingCandidates(tool.definition, fields) };
    textsByFingerprint.set(tool.fingerprint, texts);
    if (textsByFingerprint.size > TEXTS_KEPT) textsByFingerprint.delete(textsByFingerprint.keys().next().value!);
  }
  return texts;
}

/**
 * The `poisoning` scan hook (docs/mcp.md, "findings"): after a successful scan, the heuristics over
 * every tool, one finding per server, tool, heuristic and definition (its fingerprint), and the
 * poisoning findings whose condition is gone resolved.
 *
 * The text heuristics depend on the definition alone, so only tools whose fingerprint is new since
 * the previous scan are read again; an unchanged tool keeps the findings its definition already has.
 * Tool shadowing depends on the other servers too, and is checked for every tool on every scan.
 * A dismissed finding stays dismissed: its key is neither raised again nor resolved while it holds.
 */

export interface PoisoningHookDeps {
  events: Pick<DomainEvents, 'record'>;
}

export const POISONING_TITLES: Record<McpPoisoningHeuristic, string> = {
  hidden_instruction: 'a hidden instruction marker',
  override_phrase: 'an instruction override phrase',
  invisible_unicode: 'invisible Unicode characters',
  tool_shadowing: 'tool shadowing',
  secret_reference: 'a reference to credentials or secrets',
  exfiltration_url: 'an instruction to send data to a URL',
};

/** Fits the 400-character key column: the fingerprint identifies the definition (name included); the name is for people. */
export const poisoningKey = (mcpServerId: string, heuristic: McpPoisoningHeuristic, tool: ScannedTool) =>
  `poisoning:${mcpServerId}:${heuristic}:${tool.fingerprint}:${tool.name.slice(0, 200)}`;

function summaryOf(verdict: HeuristicVerdict): string {
  const first = verdict.matches[0]!;
  const more = verdict.matches.length > 1 ? ` (and ${verdict.matches.length - 1} more match${verdict.matches.length > 2 ? 'es' : ''})` : '';
  const decoded = first.decoded ? ` Hidden text: "${first.decoded}".` : '';
  const shadows = first.shadows ? ` Also a tool of: ${first.shadows.map((s) => s.server).join(', ')}.` : '';
  return `${first.rule} at ${first.path}: ${first.text}${more}.${decoded}${shadows} Heuristics can be wrong: read the text, then dismiss with a note if it is honest.`;
}

async function record(tx: Tx, deps: PoisoningHookDeps, input: ScanHookInput, tool: ScannedTool, verdict: HeuristicVerdict, key: string, monitoring: Awaited<ReturnType<typeof loadMonitoringSettings>>['settings']) {
  const first = verdict.matches[0]!;
  await recordMcpFinding(
    tx,
    deps,
    input.ctx,
    {
      mcpServerId: input.server.id,
      kind: 'poisoning',
      severity: verdict.severity,
      dedupKey: key,
      title: `Tool "${tool.name.slice(0, 100)}" has ${POISONING_TITLES[verdict.heuristic]}`,
      summary: summaryOf(verdict),
      evidence: {
        heuristic: verdict.heuristic,
        toolName: tool.name,
        path: first.path,
        text: first.text,
        matched: first.matched,
        rule: first.rule,
        ...(first.decoded ? { decoded: first.decoded } : {}),
        ...(first.shadows ? { shadows: first.shadows } : {}),
        fingerprints: { [tool.name]: tool.fingerprint },
        matches: verdict.matches.map((m) => ({ rule: m.rule, severity: m.severity, path: m.path, text: m.text, matched: m.matched, ...(m.decoded ? { decoded: m.decoded } : {}) })),
      },
      scanId: input.scan.id,
      at: input.scan.finishedAt,
    },
    { monitoring },
  );
}

/**
 * The only names of other servers' tools these tools can be shadowing: the names their text mentions
 * (other than their own tools', each tool's own name included).
 */
export function shadowingNamesOf(tools: Iterable<ScannedTool>): Set<string> {
  const list = [...tools];
  const ownTools = new Set(list.map((tool) => tool.name));
  const candidates = new Set<string>();
  for (const tool of list) for (const n of textsOf(tool).candidates) if (n === tool.name || !ownTools.has(n)) candidates.add(n);
  return candidates;
}

export async function runPoisoningChecks(tx: Tx, deps: PoisoningHookDeps, input: ScanHookInput): Promise<void> {
  const { scan, previous, server, live } = input;
  if (scan.status !== 'succeeded') return;
  const unchanged = new Set(previous?.status === 'succeeded' ? [...previous.tools.values()].map((t) => t.fingerprint) : []);
  const ownTools = new Set(scan.tools.keys());
  // Text fields by tool (a definition's are computed once per fingerprint and kept), and from them the only
  // names of other servers' tools this scan can be shadowing.
  const texts = new Map([...scan.tools.values()].map((tool) => [tool.name, textsOf(tool)]));
  const candidates = shadowingNamesOf(scan.tools.values());
  // Read with the scan's context when the scanner asked for these names (otherServersToolNames), else here.
  const read = input.known?.otherServersTools;
  const others = read && [...candidates].every((name) => read.names.has(name)) ? read.tools : await loadOtherServersTools(tx, server.id, [...candidates]);
  let monitoring: Awaited<ReturnType<typeof loadMonitoringSettings>>['settings'] | undefined;
  // The text findings an unchanged definition already has (open or dismissed), by fingerprint.
  const kept = new Map<string, string[]>();
  for (const key of live.open('poisoning')) {
    const [, , heuristic, fingerprint] = key.split(':');
    if (heuristic !== 'tool_shadowing' && fingerprint) kept.set(fingerprint, [...(kept.get(fingerprint) ?? []), key]);
  }
  const stillTrue: string[] = [];
  for (const tool of scan.tools.values()) {
    const isUnchanged = unchanged.has(tool.fingerprint);
    const fields = texts.get(tool.name)!.fields;
    if (isUnchanged) stillTrue.push(...(kept.get(tool.fingerprint) ?? []));
    const matches = [...(isUnchanged ? [] : checkToolText(tool.definition, fields)), ...checkToolShadowing(tool.definition, ownTools, others, fields)];
    for (const verdict of verdictsByHeuristic(matches)) {
      const key = poisoningKey(server.id, verdict.heuristic, tool);
      stillTrue.push(key);
      // Dismissed: a person judged this exact definition; an open one already counts (and alerted).
      if (live.status(key) !== undefined) continue;
      monitoring ??= (await loadMonitoringSettings(tx)).settings;
      await record(tx, deps, input, tool, verdict, key, monitoring);
    }
  }
  await resolveMcpFindings(tx, { mcpServerId: server.id, kind: 'poisoning', stillTrue, at: scan.finishedAt, live });
}

export function createPoisoningScanHook(deps: PoisoningHookDeps): McpScanHook {
  return { name: 'poisoning', afterScan: (tx, input) => runPoisoningChecks(tx, deps, input), otherServersToolNames: shadowingNamesOf };
}
