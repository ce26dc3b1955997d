import type { McpToolDefinition } from './mcp-discovery.js';

/**
 * Tool fingerprints (docs/mcp.md, "fingerprints"): the same computation in AIM, the SDK and any
 * client, over the canonical JSON of a tool's defining fields. Web Crypto only (Node 20 and browsers).
 */

/** The fields a fingerprint covers, in this order of meaning (the canonical JSON sorts keys). */
export const MCP_FINGERPRINT_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

/**
 * Canonical JSON (RFC 8785, JCS, for the values JSON tools produce): object keys sorted by UTF-16
 * code units, no whitespace, strings and numbers as JSON.stringify writes them; `undefined` members
 * dropped. Two definitions that differ only in key order or spacing have the same canonical form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
    return JSON.stringify(value) ?? 'null';
  }
  // Built by concatenation (no intermediate arrays): a scan fingerprints every tool of every server.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (value[i] === undefined ? 'null' : canonicalJson(value[i]));
    return `${out}]`;
  }
  const keys = Object.keys(value as object).sort();
  let out = '{';
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

/** The definition reduced to the fingerprinted fields (absent fields stay absent). */
export function fingerprintedFields(tool: McpToolDefinition): McpToolDefinition {
  const out: Record<string, unknown> = {};
  for (const field of MCP_FINGERPRINT_FIELDS) if (tool[field] !== undefined) out[field] = tool[field];
  return out as McpToolDefinition;
}

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 (hex) of the canonical JSON of the fingerprinted fields; the same in AIM, the SDK and any client. */
export async function mcpToolFingerprint(tool: McpToolDefinition): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(fingerprintedFields(tool)));
  return hex(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

/**
 * The fingerprint of a whole tool set: SHA-256 of the canonical JSON of `[[name, fingerprint], …]`
 * sorted by name. Equal sets of equal tools have equal set fingerprints.
 */
export async function mcpToolSetFingerprint(tools: readonly { name: string; fingerprint: string }[]): Promise<string> {
  const pairs = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((t) => [t.name, t.fingerprint]);
  return hex(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(pairs))));
}

