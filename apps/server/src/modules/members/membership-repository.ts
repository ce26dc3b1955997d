import type { Role } from '@aim/contracts';
import { orgOf, type Tx } from '../../platform/db/database.js';
import type { UserRow } from '../users/index.js';

/** Memberships of the transaction's organization. */
export const membershipRepository = {
  async add(tx: Tx, userId: string, role: Role): Promise<void> {
    await tx.query('insert into memberships (organization_id, user_id, role) values ($1, $2, $3)', [orgOf(tx), userId, role]);
  },
  async role(tx: Tx, userId: string): Promise<Role | null> {
    const { rows } = await tx.query<{ role: Role }>('select role from memberships where organization_id = $1 and user_id = $2', [
      orgOf(tx),
      userId,
    ]);
    return rows[0]?.role ?? null;
  },
  async list(tx: Tx): Promise<(UserRow & { role: Role; joined_at: Date })[]> {
    const { rows } = await tx.query<UserRow & { role: Role; joined_at: Date }>(
      `select u.id, u.email_encrypted, u.name_encrypted, u.status, u.created_at, m.role, m.created_at as joined_at
         from memberships m join users u on u.id = m.user_id
        where m.organization_id = $1
        order by m.created_at, u.id`,
      [orgOf(tx)],
    );
    return rows;
  },
  /** Lock the organization's memberships for a change that must keep at least one admin. */
  async lockAll(tx: Tx): Promise<{ user_id: string; role: Role }[]> {
    const { rows } = await tx.query<{ user_id: string; role: Role }>(
      'select user_id, role from memberships where organization_id = $1 for update',
      [orgOf(tx)],
    );
    return rows;
  },
  async setRole(tx: Tx, userId: string, role: Role): Promise<void> {
    await tx.query('update memberships set role = $3, updated_at = now() where organization_id = $1 and user_id = $2', [
      orgOf(tx),
      userId,
      role,
    ]);
  },
  async remove(tx: Tx, userId: string): Promise<void> {
    await tx.query('delete from memberships where organization_id = $1 and user_id = $2', [orgOf(tx), userId]);
  },
};
