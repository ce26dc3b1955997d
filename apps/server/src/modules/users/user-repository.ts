import type { Keyring } from '../../platform/crypto/keyring.js';
import { normalizeEmail } from '../../platform/crypto/keyring.js';
import type { Tx } from '../../platform/db/database.js';
import { sealedKeyId, sealWith, type Opener, type PersonalData } from '../../platform/crypto/personal-data.js';

/**
 * People. Email and name are sealed under the person's own data key (docs/privacy.md; rows written
 * before migration 0023 stay encrypted with the deployment keyring until erased), bound to the user
 * id; the email's keyed hash is what lookups use. An erased person keeps their row and id, with no
 * email, name or lookup hash. Visible in the system scope, or in an organization's scope to its members.
 */
export interface User {
  id: string;
  /** Empty once erased. */
  email: string;
  /** `Erased person` once erased. */
  name: string;
  status: 'active' | 'disabled' | 'erased';
  createdAt: Date;
}

export interface UserRow {
  id: string;
  email_encrypted: string | null;
  name_encrypted: string | null;
  status: 'active' | 'disabled' | 'erased';
  created_at: Date;
}

export const ERASED_NAME = 'Erased person';

const emailAad = (id: string) => `users.email:${id}`;
const nameAad = (id: string) => `users.name:${id}`;

export function emailHash(keyring: Keyring, email: string): Buffer {
  return keyring.lookupHash(`email:${normalizeEmail(email)}`);
}

function readField(keyring: Keyring, opener: Opener, value: string | null, aad: string): string | null {
  if (value === null) return null;
  return sealedKeyId(value) ? opener.open(value, aad).value : keyring.decrypt(value, aad);
}

function toUser(keyring: Keyring, opener: Opener, row: UserRow): User {
  return {
    id: row.id,
    email: readField(keyring, opener, row.email_encrypted, emailAad(row.id)) ?? '',
    name: readField(keyring, opener, row.name_encrypted, nameAad(row.id)) ?? ERASED_NAME,
    status: row.status,
    createdAt: row.created_at,
  };
}

export function createUserRepository(keyring: Keyring, personalData: PersonalData) {
  async function decryptAll(tx: Tx, rows: UserRow[]): Promise<User[]> {
    const opener = await personalData.opener(tx, rows.flatMap((r) => [r.email_encrypted, r.name_encrypted]));
    return rows.map((r) => toUser(keyring, opener, r));
  }
  /** The person with this address, and whether anyone but the account's creator vouched for it. */
  async function findByEmail(tx: Tx, email: string): Promise<{ id: string; emailVerified: boolean } | null> {
    const { rows } = await tx.query<{ id: string; email_verified: boolean }>('select id, email_verified from users where email_hash = $1', [
      emailHash(keyring, email),
    ]);
    return rows[0] ? { id: rows[0].id, emailVerified: rows[0].email_verified } : null;
  }
  return {
    /**
     * Insert a person (system scope only: a person is not one organization's to create).
     * `emailVerified: false` when nobody but the creator vouched for the address (migration 0012).
     */
    async insert(tx: Tx, user: { id: string; email: string; name: string; emailVerified?: boolean }): Promise<void> {
      // The key row comes first (its reference to the person is checked at commit).
      const key = (await personalData.keyFor(tx, user.id))!;
      await tx.query('insert into users (id, email_hash, email_encrypted, name_encrypted, email_verified) values ($1, $2, $3, $4, $5)', [
        user.id,
        emailHash(keyring, user.email),
        sealWith(key.id, key.key, normalizeEmail(user.email), emailAad(user.id)),
        sealWith(key.id, key.key, user.name.trim(), nameAad(user.id)),
        user.emailVerified ?? true,
      ]);
    },
    async findIdByEmail(tx: Tx, email: string): Promise<string | null> {
      return (await findByEmail(tx, email))?.id ?? null;
    },
    findByEmail,
    async get(tx: Tx, id: string): Promise<User | null> {
      const { rows } = await tx.query<UserRow>('select id, email_encrypted, name_encrypted, status, created_at from users where id = $1', [id]);
      return rows[0] ? (await decryptAll(tx, rows))[0]! : null;
    },
    /** Rows read elsewhere (members, audit names), opened with one query for their keys. */
    decryptAll,
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

