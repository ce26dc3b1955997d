import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { PersonalSealer, Tx } from '../db/database.js';
import { newId } from '../ids.js';
import type { Keyring } from './keyring.js';

/**
 * Personal data sealed under a per-person data key (docs/privacy.md).
 *
 * Every person has one data key: 32 random bytes, stored only wrapped by the deployment keyring
 * (keyring.ts, AAD `person_keys.wrapped_key:<key id>`). A personal value is sealed with it:
 *
 *   `pd1.<key id>.<base64url(iv ‖ AES-256-GCM ciphertext ‖ tag)>`
 *
 * with a 12-byte iv and the value's place (`<table>.<column>:<row id>`) as additional authenticated
 * data. Erasure destroys the wrapped key; every value sealed under it, wherever it was copied (the
 * immutable audit log included), can no longer be read by anyone, while the bytes — and so the audit
 * chain's hashes over them — stay as they were.
 */

export const SEALED_PREFIX = 'pd1.';
const SEALED = /^pd1\.(pdk_[0-9a-z]{26})\.([A-Za-z0-9_-]+)$/;

/** The key id of a sealed value, or null when the value is not sealed (plain text of older rows). */
export function sealedKeyId(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  return SEALED.exec(value)?.[1] ?? null;
}

export function sealWith(keyId: string, key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_PREFIX}${keyId}.${body.toString('base64url')}`;
}

/** The plaintext, or null when the value does not open with this key and place. */
export function openWith(key: Buffer, sealed: string, aad: string): string | null {
  const match = SEALED.exec(sealed);
  if (!match) return null;
  const body = Buffer.from(match[2]!, 'base64url');
  if (body.length < 28) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** How a personal value reads: as written before sealing, opened, or gone with its key. */
export type OpenedValue =
  | { state: 'plain'; value: string | null }
  | { state: 'decrypted'; value: string }
  | { state: 'erased'; value: null }
  | { state: 'unreadable'; value: null };

/** Opens values sealed under the keys it was built for (one query for a page of rows). */
export interface Opener {
  open(value: string | null, aad: string): OpenedValue;
}

export interface PersonKey {
  id: string;
  key: Buffer;
}

export interface PersonalData extends PersonalSealer {
  /** The person's key, created on first use; null once destroyed. */
  keyFor(tx: Tx, userId: string): Promise<PersonKey | null>;
  /** An opener for every key named by these values. */
  opener(tx: Tx, values: Iterable<string | null | undefined>): Promise<Opener>;
  /** Destroy the person's key (creating a destroyed one if they never had one); idempotent. */
  destroy(tx: Tx, userId: string): Promise<{ keyId: string }>;
}

const wrapAad = (keyId: string) => `person_keys.wrapped_key:${keyId}`;

export function createPersonalData(keyring: Keyring): PersonalData {
  const unwrap = (id: string, wrapped: string): Buffer => Buffer.from(keyring.decrypt(wrapped, wrapAad(id)), 'base64url');

  async function keyFor(tx: Tx, userId: string): Promise<PersonKey | null> {
    const existing = await tx.query<{ id: string; wrapped_key: string | null }>('select id, wrapped_key from aim_person_key_of($1)', [userId], {
      name: 'aim.person-key.get',
    });
    const row = existing.rows[0];
    if (row) return row.wrapped_key === null ? null : { id: row.id, key: unwrap(row.id, row.wrapped_key) };
    const id = newId('pdk');
    const key = randomBytes(32);
    await tx.query('insert into person_keys (id, user_id, wrapped_key) values ($1, $2, $3) on conflict (user_id) do nothing', [
      id,
      userId,
      keyring.encrypt(key.toString('base64url'), wrapAad(id)),
    ]);
    // A concurrent first use may have won: read back whichever key is the person's.
    return id === (await tx.query<{ id: string }>('select id from aim_person_key_of($1)', [userId])).rows[0]?.id
      ? { id, key }
      : keyFor(tx, userId);
  }

  return {
    keyFor,
    async seal(tx, userId, values) {
      if (values.every((v) => v.value === null)) return values.map(() => null);
      const key = await keyFor(tx, userId);
      return values.map((v) => (v.value === null || key === null ? null : sealWith(key.id, key.key, v.value, v.aad)));
    },
    async opener(tx, values) {
      const ids = new Set<string>();
      for (const v of values) {
        const id = sealedKeyId(v);
        if (id) ids.add(id);
      }
      const keys = new Map<string, Buffer | null>();
      if (ids.size > 0) {
        const { rows } = await tx.query<{ id: string; wrapped_key: string | null }>('select id, wrapped_key from aim_person_keys($1::text[])', [[...ids]]);
        for (const r of rows) keys.set(r.id, r.wrapped_key === null ? null : unwrap(r.id, r.wrapped_key));
      }
      return {
        open(value, aad) {
          const id = sealedKeyId(value);
          if (id === null) return { state: 'plain', value };
          const key = keys.get(id);
          if (key === null) return { state: 'erased', value: null };
          const opened = key === undefined ? null : openWith(key, value!, aad);
          return opened === null ? { state: 'unreadable', value: null } : { state: 'decrypted', value: opened };
        },
      };
    },
    async destroy(tx, userId) {
      await tx.query('insert into person_keys (id, user_id, wrapped_key, destroyed_at) values ($1, $2, null, now()) on conflict (user_id) do nothing', [
        newId('pdk'),
        userId,
      ]);
      const { rows } = await tx.query<{ id: string }>(
        'update person_keys set wrapped_key = null, destroyed_at = coalesce(destroyed_at, now()) where user_id = $1 and destroyed_at is null returning id',
        [userId],
      );
      if (rows[0]) return { keyId: rows[0].id };
      const { rows: existing } = await tx.query<{ id: string }>('select id from person_keys where user_id = $1', [userId]);
      return { keyId: existing[0]!.id };
    },
  };
}
