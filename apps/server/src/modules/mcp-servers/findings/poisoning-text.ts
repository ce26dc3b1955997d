import type { McpToolDefinition } from '@aim/contracts';

/**
 * The text of a tool definition the poisoning heuristics read, each piece with its JSON Pointer
 * (RFC 6901) into the definition, and how matched text is shown to a person. Bounded so that a
 * server with a thousand tools, or one tool with an absurd schema, stays cheap: at most
 * TEXT_LIMITS.fieldChars characters of each string, TEXT_LIMITS.fieldsPerTool strings per tool,
 * TEXT_LIMITS.depth levels of nesting.
 */

export const TEXT_LIMITS = {
  /** Characters of one string that are read (the rest is not scanned; the scanner caps definitions anyway). */
  fieldChars: 16_384,
  /** Strings (values and object keys) read per tool. */
  fieldsPerTool: 2_000,
  /** Nesting depth of schemas that is walked. */
  depth: 32,
  /** Characters of context shown on each side of a match. */
  context: 40,
  /** Length of the shown excerpt, at most. */
  excerpt: 400,
} as const;

export interface TextField {
  /** JSON Pointer into the tool definition, e.g. `/inputSchema/properties/path/description`. */
  path: string;
  text: string;
  /** The string is an object key (a property name), not a value. */
  isKey: boolean;
}

/** The fingerprinted fields of a definition, in this order. */
const ROOTS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every string of the definition (values and object keys), bounded. */
export function textFields(definition: McpToolDefinition): TextField[] {
  const fields: TextField[] = [];
  const push = (path: string, text: string, isKey: boolean) => {
    if (fields.length < TEXT_LIMITS.fieldsPerTool && text.length > 0) fields.push({ path, text: text.slice(0, TEXT_LIMITS.fieldChars), isKey });
  };
  const walk = (value: unknown, path: string, depth: number): void => {
    if (fields.length >= TEXT_LIMITS.fieldsPerTool || depth > TEXT_LIMITS.depth) return;
    if (typeof value === 'string') return push(path, value, false);
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}/${i}`, depth + 1));
      return;
    }
    if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const child = `${path}/${escapePointer(key)}`;
        push(child, key, true);
        walk(item, child, depth + 1);
      }
    }
  };
  const record = definition as unknown as Record<string, unknown>;
  for (const root of ROOTS) walk(record[root], `/${root}`, 0);
  return fields;
}

/** Characters that change what a person sees without being seen (docs/mcp.md, "findings"). */
export const INVISIBLE = /[\u200B-\u200D\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069\u{E0000}-\u{E007F}]/gu;
const INVISIBLE_ONE = new RegExp(INVISIBLE.source, 'u');

/** Text with every invisible character written as `\u{…}` (tag characters included). */
export function renderVisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}

export const hasInvisible = (text: string) => INVISIBLE_ONE.test(text);

/** The ASCII a run of Unicode tag characters (U+E0020–U+E007E) spells. */
export function decodeTagCharacters(text: string): string {
  let decoded = '';
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) decoded += String.fromCharCode(cp - 0xe0000);
  }
  return decoded;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Move an index off the low half of a surrogate pair. */
const settle = (text: string, i: number) => (i > 0 && i < text.length && /[\uDC00-\uDFFF]/.test(text[i]!) ? i - 1 : i);

/** What a person is shown for a match at [start, end): the match with a little context, invisible characters visible. */
export function excerpt(text: string, start: number, end: number): { text: string; matched: string } {
  const from = settle(text, Math.max(0, start - TEXT_LIMITS.context));
  const to = settle(text, Math.min(text.length, end + TEXT_LIMITS.context));
  const shown = `${from > 0 ? '…' : ''}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  return { text: clip(renderVisible(shown), TEXT_LIMITS.excerpt), matched: clip(renderVisible(text.slice(start, end)), TEXT_LIMITS.excerpt) };
}
