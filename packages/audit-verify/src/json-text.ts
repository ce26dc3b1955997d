import canonicalize from 'canonicalize';

/**
 * RFC 8785 canonical JSON of a JSON text: exactly `canonicalize(JSON.parse(text))`, with a fast path for
 * what audit events' `details` nearly always are, an object of strings, numbers, booleans and nulls
 * written without escapes (as PostgreSQL prints jsonb). Its members are read in place, sorted by key
 * (UTF-16 code units, as RFC 8785 and `Array.prototype.sort` order them) and written back; anything else
 * (nesting, an escape, a top level that is not an object, text that is not JSON as expected) takes the
 * general path. A test holds both equal over PostgreSQL's own output.
 */
export function canonicalJsonText(text: string): string {
  return flatObject(text) ?? jcs(JSON.parse(text) as unknown);
}

/** JCS of a value (RFC 8785); for strings and numbers this is exactly JSON.stringify. */
export function jcs(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('the value cannot be canonicalized');
  return text;
}

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const SPACE = 32;
const OPEN = 123;
const CLOSE = 125;
const SPECIAL = /[\\\u0000-\u001f\ud800-\udfff]/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** A plain integer literal, which is its own canonical form (below 2^53 in magnitude). */
const PLAIN_INTEGER = /^(?:0|-?[1-9]\d{0,14})$/;

function scalar(token: string): string | undefined {
  if (token === 'true' || token === 'false' || token === 'null') return token;
  if (PLAIN_INTEGER.test(token)) return token;
  // Any other JSON number: JSON.parse and Number read it to the same double, which JSON.stringify writes as RFC 8785 does.
  if (!JSON_NUMBER.test(token)) return undefined;
  return JSON.stringify(Number(token));
}

function flatObject(text: string): string | undefined {
  if (text.charCodeAt(0) !== OPEN || text.charCodeAt(text.length - 1) !== CLOSE) return undefined;
  // An escape, a control character (invalid raw) or a surrogate (which JSON.stringify escapes when lone): general path.
  if (SPECIAL.test(text)) return undefined;
  const members: [string, string][] = [];
  let i = 1;
  while (text.charCodeAt(i) === SPACE) i++;
  if (text.charCodeAt(i) === CLOSE) return i === text.length - 1 ? '{}' : undefined;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd === -1) return undefined;
    const key = text.slice(i + 1, keyEnd);
    i = keyEnd + 1;
    while (text.charCodeAt(i) === SPACE) i++;
    if (text.charCodeAt(i) !== COLON) return undefined;
    i++;
    while (text.charCodeAt(i) === SPACE) i++;
    let value: string | undefined;
    if (text.charCodeAt(i) === QUOTE) {
      const end = text.indexOf('"', i + 1);
      if (end === -1) return undefined;
      // No escape, control or surrogate anywhere: the string is its own canonical form.
      value = text.slice(i, end + 1);
      i = end + 1;
    } else {
      let end = i;
      for (let c = text.charCodeAt(end); c !== COMMA && c !== CLOSE && c !== SPACE && end < text.length; c = text.charCodeAt(++end));
      value = scalar(text.slice(i, end));
      if (value === undefined) return undefined;
      i = end;
    }
    members.push([key, value]);
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (c === CLOSE) {
      if (i !== text.length - 1) return undefined;
      break;
    }
    if (c !== COMMA) return undefined;
    i++;
    while (text.charCodeAt(i) === SPACE) i++;
  }
  if (members.length > 1) {
    members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // A key given twice: JSON.parse keeps the last one; leave that to the general path.
    for (let k = 1; k < members.length; k++) if (members[k]![0] === members[k - 1]![0]) return undefined;
  }
  let out = '{';
  for (let k = 0; k < members.length; k++) out += `${k === 0 ? '' : ','}"${members[k]![0]}":${members[k]![1]}`;
  return `${out}}`;
}
