import type { Keyring } from '../../platform/crypto/keyring.js';
import { normalizeEmail } from '../../platform/crypto/keyring.js';
import type { Tx } from '../../platform/db/database.js';

/**
 * People. Email and name are stored encrypted (bound to the user id); the email's keyed hash is
 * what lookups use. Visible in the system scope, or in an organization's scope to its members.
 */
export interface User {
  id: string;
  email: string;
  name: string;
  status: 'active' | 'disabled';
  createdAt: Date;
}

export interface UserRow {
  id: string;
  email_encrypted: string;
  name_encrypted: string;
  status: 'active' | 'disabled';
  created_at: Date;
}

const emailAad = (id: string) => `users.email:${id}`;
const nameAad = (id: string) => `users.name:${id}`;

export function emailHash(keyring: Keyring, email: string): Buffer {
  return keyring.lookupHash(`email:${normalizeEmail(email)}`);
}

function toUser(keyring: Keyring, row: UserRow): User {
  return {
    id: row.id,
    email: keyring.decrypt(row.email_encrypted, emailAad(row.id)),
    name: keyring.decrypt(row.name_encrypted, nameAad(row.id)),
    status: row.status,
    createdAt: row.created_at,
  };
}

export function createUserRepository(keyring: Keyring) {
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
      await tx.query('insert into users (id, email_hash, email_encrypted, name_encrypted, email_verified) values ($1, $2, $3, $4, $5)', [
        user.id,
        emailHash(keyring, user.email),
        keyring.encrypt(normalizeEmail(user.email), emailAad(user.id)),
        keyring.encrypt(user.name.trim(), nameAad(user.id)),
        user.emailVerified ?? true,
      ]);
    },
    async findIdByEmail(tx: Tx, email: string): Promise<string | null> {
      return (await findByEmail(tx, email))?.id ?? null;
    },
    findByEmail,
    async get(tx: Tx, id: string): Promise<User | null> {
      const { rows } = await tx.query<UserRow>('select id, email_encrypted, name_encrypted, status, created_at from users where id = $1', [id]);
      return rows[0] ? toUser(keyring, rows[0]) : null;
    },
    decrypt: (row: UserRow) => toUser(keyring, row),
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;

