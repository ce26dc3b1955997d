import { canonicalJson, MCP_FINGERPRINT_FIELDS, type McpToolDefinition, type McpToolDiff } from '@aim/contracts';

/**
 * The field-level diff of two tool sets (docs/mcp.md, "the diff format"): pins against a scan, or one
 * scan against another. Pure and fast: a tool whose fingerprint is the same on both sides is skipped
 * without looking at its definition (the fingerprint covers every field the diff compares), so a
 * 1,000-tool server with a few changes costs a thousand string comparisons and a few deep compares.
 *
 * Each changed tool lists every differing field as a JSON Pointer (RFC 6901) into its definition:
 * objects are walked key by key (sorted), and anything else — strings, numbers, booleans, null and
 * arrays — is compared whole (an array is one value: `/inputSchema/required` from ["a"] to ["a","b"]),
 * so a person reads one line per change rather than one per shifted index. A field present on one
 * side only has just `from` (removed) or just `to` (added).
 */

/** One side of a comparison: a tool's fingerprint and, for tools that may differ, its definition. */
export interface DiffSide {
  fingerprint: string;
  /** Needed only when the other side has the same name and another fingerprint. */
  definition: McpToolDefinition | undefined;
}

export type ToolSet = ReadonlyMap<string, DiffSide>;

/** One differing field: `from` is absent when the field was added, `to` when it was removed. */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/** A tool of a diff (McpToolDiff, with its fields typed as they are built). */
export type ToolDiff = Omit<McpToolDiff, 'fields'> & { fields: FieldChange[] };

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `from` → `to`: tools only in `to` are added, only in `from` removed, in both with other fingerprints changed. Sorted by name. */
export function diffToolSets(from: ToolSet, to: ToolSet): ToolDiff[] {
  const diff: ToolDiff[] = [];
  for (const [name, before] of from) {
    const after = to.get(name);
    if (after === undefined) {
      diff.push({ name, change: 'removed', pinnedFingerprint: before.fingerprint, currentFingerprint: null, fields: [] });
    } else if (after.fingerprint !== before.fingerprint) {
      diff.push({ name, change: 'changed', pinnedFingerprint: before.fingerprint, currentFingerprint: after.fingerprint, fields: diffDefinitions(before.definition, after.definition) });
    }
  }
  for (const [name, after] of to) {
    if (!from.has(name)) diff.push({ name, change: 'added', pinnedFingerprint: null, currentFingerprint: after.fingerprint, fields: [] });
  }
  return diff.sort((a, b) => byName(a.name, b.name));
}

/** The names of the tools of `from` whose definitions a diff against `to` needs (same name, other fingerprint). */
export function changedNames(from: ReadonlyMap<string, { fingerprint: string }>, to: ReadonlyMap<string, { fingerprint: string }>): string[] {
  const names: string[] = [];
  for (const [name, before] of from) {
    const after = to.get(name);
    if (after !== undefined && after.fingerprint !== before.fingerprint) names.push(name);
  }
  return names;
}

/** Counts of a diff, as the scan row and the hook outcome carry them. */
export function driftCounts(diff: readonly ToolDiff[]): { added: number; removed: number; changed: number } {
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const tool of diff) counts[tool.change] += 1;
  return counts;
}

/**
 * Every field that differs between two definitions of one tool (the fingerprinted fields only). A
 * side whose definition is unknown (never stored) compares as empty: every field of the other side
 * is reported.
 */
export function diffDefinitions(from: McpToolDefinition | undefined, to: McpToolDefinition | undefined): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of MCP_FINGERPRINT_FIELDS) compare(from?.[field], to?.[field], `/${field}`, changes);
  return changes;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 6901: `~` is written `~0` and `/` is written `~1` inside a reference token. */
export const pointerToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function compare(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (before === undefined && after === undefined) return;
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byName);
    for (const key of keys) compare(before[key], after[key], `${path}/${pointerToken(key)}`, out);
    return;
  }
  if (before === undefined) out.push({ path, to: after });
  else if (after === undefined) out.push({ path, from: before });
  else if (!sameValue(before, after)) out.push({ path, from: before, to: after });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}
