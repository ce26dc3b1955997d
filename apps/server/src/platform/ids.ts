import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids: `<prefix>_<26 characters>`, the characters being lower-case
 * Crockford base32 of 48 bits of milliseconds since the epoch followed by 80 random bits.
 * Sorting ids sorts by creation time, which keyset pagination relies on.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIXES = {
  organization: 'org',
  auditEvent: 'evt',
  domainEvent: 'dev',
  user: 'usr',
  apiKey: 'key',
  agent: 'agt',
  mcpServer: 'mcp',
  session: 'ses',
  invitation: 'inv',
  passkey: 'pky',
  identityProvider: 'idp',
  enrollmentToken: 'enr',
  capability: 'cap',
  grant: 'grt',
  capabilityRequest: 'crq',
  policy: 'pol',
  decision: 'dec',
  violation: 'vio',
  trustScore: 'tsc',
  securityReview: 'srv',
  rating: 'rat',
  attestation: 'att',
  incident: 'inc',
  webhookEndpoint: 'whk',
  webhookDelivery: 'whd',
  notification: 'ntf',
  alert: 'alr',
  alertNote: 'aln',
  mcpScan: 'msc',
  mcpApproval: 'mca',
  mcpFinding: 'mcf',
  mcpAttestation: 'mat',
  complianceReport: 'rpt',
  accessReview: 'arv',
  accessReviewItem: 'ari',
  personKey: 'pdk',
  privacyRequest: 'prq',
} as const;

export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

export function newId(prefix: IdPrefix, now = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  randomBytes(10).copy(bytes, 6);
  // 128 bits -> 26 base32 characters (the first carries 3 bits).
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(value & 31n)]! + out;
    value >>= 5n;
  }
  return `${prefix}_${out}`;
}

export function isId(prefix: IdPrefix, value: string): boolean {
  return value.length === prefix.length + 27 && value.startsWith(`${prefix}_`) && /^[0-9a-hjkmnp-tv-z]{26}$/.test(value.slice(prefix.length + 1));
}

/** The creation time (epoch milliseconds) an id carries in its first 48 bits. */
export function idTime(id: string): number {
  const chars = id.slice(id.indexOf('_') + 1);
  let value = 0n;
  for (const c of chars) {
    const digit = ALPHABET.indexOf(c);
    if (digit < 0) throw new Error(`not an id: ${id}`);
    value = (value << 5n) | BigInt(digit);
  }
  return Number(value >> 80n);
}
