import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Encryption of personal data and stored secrets at rest (envelope encryption).
 *
 * Each value gets its own random data key (AES-256-GCM); the data key is wrapped with a key
 * encryption key from configuration (AES-256-GCM as well), named by its id so keys can rotate:
 * new values use the first (primary) key, old values stay readable while their key is configured.
 * The additional authenticated data binds a ciphertext to where it belongs (table, column, row),
 * so a ciphertext copied into another row does not decrypt.
 *
 * Format: `v1.<kid>.<wrap iv>.<wrapped key + tag>.<data iv>.<ciphertext + tag>` (base64url parts).
 *
 * Lookups use a keyed hash (HMAC-SHA-256 with a separate lookup key), so equal values can be
 * found without decrypting and a database dump alone does not reveal them.
 */
export interface KeyringConfig {
  /** Key encryption keys, primary first. Each key is 32 bytes. */
  keys: { id: string; key: Buffer }[];
  /** 32-byte key for lookup hashes. */
  lookupKey: Buffer;
}

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

export interface Keyring {
  encrypt(plaintext: string, aad: string): string;
  decrypt(ciphertext: string, aad: string): string;
  /** Keyed hash for equality lookups (32 bytes). */
  lookupHash(value: string): Buffer;
}

const b64 = (b: Buffer) => b.toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url');

function seal(key: Buffer, plaintext: Buffer, aad: string): [Buffer, Buffer] {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return [iv, body];
}

function open(key: Buffer, iv: Buffer, body: Buffer, aad: string): Buffer {
  if (body.length < 16) throw new DecryptionError('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  } catch {
    throw new DecryptionError('the value does not decrypt with its key (tampered, or moved from another row)');
  }
}

export function createKeyring(config: KeyringConfig): Keyring {
  const primary = config.keys[0];
  if (!primary) throw new Error('at least one encryption key is required');
  for (const { id, key } of config.keys) {
    if (key.length !== 32) throw new Error(`encryption key ${id} must be 32 bytes`);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`encryption key id ${id} must be 1-32 of [A-Za-z0-9_-]`);
  }
  if (config.lookupKey.length !== 32) throw new Error('the lookup key must be 32 bytes');
  const byId = new Map(config.keys.map((k) => [k.id, k.key]));

  return {
    encrypt(plaintext, aad) {
      const dataKey = randomBytes(32);
      const [wrapIv, wrapped] = seal(primary.key, dataKey, `aim-dek:${aad}`);
      const [iv, body] = seal(dataKey, Buffer.from(plaintext, 'utf8'), aad);
      return ['v1', primary.id, b64(wrapIv), b64(wrapped), b64(iv), b64(body)].join('.');
    },
    decrypt(ciphertext, aad) {
      const parts = ciphertext.split('.');
      if (parts.length !== 6 || parts[0] !== 'v1') throw new DecryptionError('unknown ciphertext format');
      const [, kid, wrapIv, wrapped, iv, body] = parts as [string, string, string, string, string, string];
      const kek = byId.get(kid);
      if (!kek) throw new DecryptionError(`encryption key ${kid} is not configured`);
      const dataKey = open(kek, unb64(wrapIv), unb64(wrapped), `aim-dek:${aad}`);
      return open(dataKey, unb64(iv), unb64(body), aad).toString('utf8');
    },
    lookupHash(value) {
      return createHmac('sha256', config.lookupKey).update(value, 'utf8').digest();
    },
  };
}

/** Parse `kid:base64url,kid:base64url` (primary first). */
export function parseEncryptionKeys(spec: string): { id: string; key: Buffer }[] {
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [id, key, extra] = part.split(':');
      if (!id || !key || extra !== undefined) throw new Error('each key must be written id:base64url');
      return { id, key: Buffer.from(key, 'base64url') };
    });
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
