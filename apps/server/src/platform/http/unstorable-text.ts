/** NUL, or a UTF-16 surrogate without its pair: text PostgreSQL refuses to store (as text or in jsonb). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when any string or key in a parsed JSON value holds text PostgreSQL cannot store. */
export function hasUnstorableText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => hasUnstorableText(v, depth + 1));
  for (const [key, v] of Object.entries(value)) {
    if (UNSTORABLE.test(key) || hasUnstorableText(v, depth + 1)) return true;
  }
  return false;
}

const MAX_ECHOED_NAME = 64;

/**
 * The first entry of a parsed query string or of the path parameters whose name or value holds text
 * PostgreSQL cannot store (a `%00` arrives as NUL): described for the error message, or null when all are fine.
 */
export function unstorableParameter(values: unknown, where: 'query parameter' | 'path parameter'): string | null {
  if (values === null || typeof values !== 'object') return null;
  for (const [name, value] of Object.entries(values)) {
    if (UNSTORABLE.test(name)) return `A ${where} name`;
    if (hasUnstorableText(value)) return `The ${where} "${name.slice(0, MAX_ECHOED_NAME)}"`;
  }
  return null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or null when its bytes are not valid UTF-8 (which JSON and forms must be, RFC 8259 §8.1). */
export function decodeUtf8(body: Buffer): string | null {
  try {
    return strictUtf8.decode(body);
  } catch {
    return null;
  }
}
