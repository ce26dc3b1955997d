/**
 * The values the first-use detectors compare: a resource's prefix and a client address's network.
 * Both are coarse on purpose. A resource names a record (`orders/8812`), and an agent reading a new
 * order every minute is not news; reading a kind of resource it never touched is. An address changes
 * with every container restart; a network the agent never came from is news.
 */

/**
 * A segment that names one record rather than a kind of thing: a number, a UUID, a long hexadecimal
 * string, a prefixed id such as `cus_01jc…` or `agt_7f3a…`, or a long token mixing letters and
 * digits. It is replaced by `*` in a prefix, so `orders/8812` and `orders/8813` share `orders/*`.
 */
export function isIdentifierSegment(segment: string): boolean {
  if (/^\d+$/.test(segment)) return true;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)) return true;
  if (/^[0-9a-f]{8,}$/i.test(segment) && /\d/.test(segment)) return true;
  if (/^[a-z]{2,8}_[0-9a-z]{6,}$/i.test(segment) && /\d/.test(segment)) return true;
  // Long mixed tokens (ULIDs, base64url ids, dates such as 2026-12-07 are caught by the digit share).
  const digits = segment.replace(/\D/g, '').length;
  if (segment.length >= 12 && digits > 0 && /^[0-9a-z_.-]+$/i.test(segment)) return true;
  return segment.length >= 4 && digits / segment.length >= 0.5;
}

/**
 * The first `segments` non-empty segments of a resource, split on `/` and `:`, with the separators
 * as written and identifier segments (isIdentifierSegment) replaced by `*`: `orders/8812/lines` with 2
 * segments gives `orders/*`, `db:customers:123` gives `db:customers`, `/v1/users/42` gives `/v1/users`.
 * Null for an empty resource.
 */
export function resourcePrefix(resource: string, segments: number): string | null {
  const trimmed = resource.trim();
  if (trimmed === '' || segments < 1) return null;
  const parts = trimmed.split(/([/:]+)/);
  let out = '';
  let taken = 0;
  for (const part of parts) {
    if (part === '') continue;
    if (/^[/:]+$/.test(part)) {
      out += part;
      continue;
    }
    if (taken === segments) break;
    out += isIdentifierSegment(part) ? '*' : part.toLowerCase();
    taken += 1;
  }
  // A trailing separator (`orders/` from `orders/8812` cut at one segment) says nothing more.
  out = out.replace(/[/:]+$/, '');
  return out === '' ? (taken > 0 ? '/' : null) : out;
}

function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

/** Sixteen bytes, or null when the text is not an IPv6 address. */
function parseIPv6(text: string): number[] | null {
  let head = text;
  let tail: number[] = [];
  // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  const lastColon = head.lastIndexOf(':');
  if (head.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(head.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = head.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const group = (s: string) => (s === '' ? [] : s.split(':'));
  const left = group(halves[0]!);
  const right = halves.length === 2 ? group(halves[1]!) : [];
  const groups: number[] = [];
  for (const g of [...left, ...right]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
  }
  const known = left.length + right.length + tail.length;
  if (halves.length === 1 && known !== 8) return null;
  if (halves.length === 2 && known > 7) return null;
  groups.push(...left.map((g) => parseInt(g, 16)));
  if (halves.length === 2) for (let i = known; i < 8; i += 1) groups.push(0);
  groups.push(...right.map((g) => parseInt(g, 16)), ...tail);
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function mask(bytes: number[], length: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    return bits === 0 ? 0 : b & ((0xff << (8 - bits)) & 0xff);
  });
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIPv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * The network an address belongs to, as CIDR text: `203.0.113.0/24` for 203.0.113.9 with a /24,
 * `2001:db8:12::/48` for an IPv6 address with a /48. An IPv4-mapped IPv6 address (::ffff:203.0.113.9)
 * counts as the IPv4 address it carries. Brackets and a zone (`%eth0`) are ignored. Null when the text
 * is not an address.
 */
export function networkPrefix(address: string, ipv4PrefixLength: number, ipv6PrefixLength: number): string | null {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text === '') return null;
  const v4 = parseIPv4(text);
  if (v4) return `${mask(v4, ipv4PrefixLength).join('.')}/${ipv4PrefixLength}`;
  if (!text.includes(':')) return null;
  const v6 = parseIPv6(text);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  if (mapped) return `${mask(v6.slice(12), ipv4PrefixLength).join('.')}/${ipv4PrefixLength}`;
  return `${formatIPv6(mask(v6, ipv6PrefixLength))}/${ipv6PrefixLength}`;
}
