import {
  canonicalJson,
  fingerprintedFields,
  mcpPromptSchema,
  mcpResourceSchema,
  mcpToolDefinitionSchema,
  type McpToolDefinition,
} from '@aim/contracts';
import type { z } from 'zod';
import { sha256Hex } from '../../../platform/crypto/tokens.js';
import type { ScannedTool } from '../shared/scan-hooks.js';
import { ScanFailure } from './scan-failure.js';

/**
 * The limits of one scan (docs/mcp.md, "Scans"), and the reduction of what a server listed to what AIM
 * stores: each tool to its fingerprinted fields with its fingerprint, each resource and prompt to the
 * fields the API shows. Anything past a limit fails the scan (too_large, too_many_items); anything
 * malformed fails it as protocol_error. Nothing is silently cut: a truncated description would hide
 * exactly what a person must see.
 */
export interface ScanLimits {
  /** The whole scan, from the first connection to the last answer (ms). */
  deadlineMs: number;
  /** The initialize exchange alone (ms); a server that never answers it fails early. */
  initializeTimeoutMs: number;
  /** Largest single HTTP answer (bytes): one page of a list. */
  maxResponseBytes: number;
  /** All answers of one scan together (bytes). */
  maxScanBytes: number;
  /** Tools, resources and prompts, each (items across all pages). */
  maxItems: number;
  /** Pages per list. */
  maxPages: number;
  /** One tool's fingerprinted definition as canonical JSON (bytes). */
  maxDefinitionBytes: number;
  /** Nesting of a tool's schemas and annotations (objects and arrays). */
  maxSchemaDepth: number;
  /** The instructions of initialize (characters). */
  maxInstructionsChars: number;
  /** The server card (bytes; a larger card is treated as absent), and initialize's server info and capabilities together. */
  maxServerCardBytes: number;
  /** The server card fetch alone (ms); a slow card never delays the scan past this. */
  serverCardTimeoutMs: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  deadlineMs: 30_000,
  initializeTimeoutMs: 10_000,
  maxResponseBytes: 4 * 1024 * 1024,
  maxScanBytes: 32 * 1024 * 1024,
  maxItems: 10_000,
  maxPages: 1_000,
  maxDefinitionBytes: 128 * 1024,
  maxSchemaDepth: 32,
  maxInstructionsChars: 20_000,
  maxServerCardBytes: 64 * 1024,
  serverCardTimeoutMs: 5_000,
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The nesting depth of a JSON value, without recursion (a hostile schema cannot exhaust the stack). */
export function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const firstIssue = (error: z.ZodError) => {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(the item)'}: ${issue.message}` : 'invalid';
};

/** One tool as listed → its fingerprinted definition and fingerprint, within the limits. */
export function reduceTool(raw: unknown, index: number, limits: ScanLimits): ScannedTool {
  if (!isObject(raw)) throw new ScanFailure('protocol_error', `tools/list: item ${index} is not an object.`);
  const label = typeof raw.name === 'string' ? `tool "${raw.name.slice(0, 80)}"` : `tool ${index}`;
  const fields = fingerprintedFields(raw as McpToolDefinition);
  for (const key of ['inputSchema', 'outputSchema', 'annotations'] as const) {
    if (fields[key] !== undefined && depthOf(fields[key], limits.maxSchemaDepth) > limits.maxSchemaDepth) {
      throw new ScanFailure('too_large', `The ${key} of ${label} is nested deeper than ${limits.maxSchemaDepth} levels, the most AIM accepts.`);
    }
  }
  const parsed = mcpToolDefinitionSchema.safeParse(fields);
  if (!parsed.success) throw new ScanFailure('protocol_error', `tools/list: ${label} is not a valid tool definition (${firstIssue(parsed.error)}).`);
  const definition = parsed.data;
  if (definition.name.length === 0 || definition.name.length > 256) {
    throw new ScanFailure('protocol_error', `tools/list: ${label} has a name of ${definition.name.length} characters (1 to 256 accepted).`);
  }
  const canonical = canonicalJson(definition);
  const size = Buffer.byteLength(canonical);
  if (size > limits.maxDefinitionBytes) {
    throw new ScanFailure('too_large', `The definition of ${label} is ${size} bytes (description and schemas), more than the ${limits.maxDefinitionBytes} AIM accepts for one tool.`);
  }
  // The contract's mcpToolFingerprint, computed here with node:crypto over the same canonical JSON: the
  // digest in one synchronous call instead of a Web Crypto promise per tool (scans.test.ts holds them equal).
  return { name: definition.name, fingerprint: sha256Hex(canonical), definition };
}

/** Every tool of a listing, reduced; a name listed twice is a protocol error. */
export function reduceTools(raw: readonly unknown[], limits: ScanLimits): ScannedTool[] {
  const tools = raw.map((item, i) => reduceTool(item, i, limits));
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) throw new ScanFailure('protocol_error', `tools/list: the tool "${tool.name.slice(0, 80)}" is listed twice; tool names must be unique.`);
    names.add(tool.name);
  }
  return tools;
}

function reduceWith<S extends z.ZodType>(schema: S, method: string, raw: readonly unknown[], pick: (item: Record<string, unknown>) => unknown): z.output<S>[] {
  return raw.map((item, i) => {
    const parsed = schema.safeParse(isObject(item) ? pick(item) : item);
    if (!parsed.success) throw new ScanFailure('protocol_error', `${method}: item ${i} is not valid (${firstIssue(parsed.error)}).`);
    return parsed.data;
  });
}

export const reduceResources = (raw: readonly unknown[]) =>
  reduceWith(mcpResourceSchema, 'resources/list', raw, (r) => ({ uri: r.uri, name: r.name, mimeType: r.mimeType, description: r.description }));

export const reducePrompts = (raw: readonly unknown[]) =>
  reduceWith(mcpPromptSchema, 'prompts/list', raw, (p) => ({ name: p.name, description: p.description, arguments: p.arguments }));
