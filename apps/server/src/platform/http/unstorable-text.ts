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
