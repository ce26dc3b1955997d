import { AUDIT_EVENT_COLUMNS, toStoredEvent, type AuditEventRow, type StoredEvent } from '../../platform/audit/audit-row.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { SessionRow } from '../sessions/index.js';

/**
 * The privacy module's statements: its own privacy_requests, and the reads of an export, which join
 * the tables that hold something about a person (one transaction, so the export is one snapshot).
 */

export const EXPORT_AUDIT_LIMIT = 10_000;

export interface PrivacyRequestRow {
  id: string;
  user_id: string;
  kind: 'export' | 'erasure';
  requested_by: string;
  created_at: Date;
  completed_at: Date | null;
}

export const privacyRequestJson = (r: PrivacyRequestRow) => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind,
  requestedBy: r.requested_by,
  createdAt: r.created_at.toISOString(),
  completedAt: r.completed_at?.toISOString() ?? null,
});

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const privacyRepository = {
  async insertRequest(tx: Tx, r: { userId: string; kind: 'export' | 'erasure'; requestedBy: string }): Promise<PrivacyRequestRow> {
    const { rows } = await tx.query<PrivacyRequestRow>(
      `insert into privacy_requests (id, organization_id, user_id, kind, requested_by, completed_at)
       values ($1, $2, $3, $4, $5, now()) returning id, user_id, kind, requested_by, created_at, completed_at`,
      [newId('prq'), orgOf(tx), r.userId, r.kind, r.requestedBy],
    );
    return rows[0]!;
  },
  async list(tx: Tx, limit: number): Promise<PrivacyRequestRow[]> {
    const { rows } = await tx.query<PrivacyRequestRow>(
      `select id, user_id, kind, requested_by, created_at, completed_at from privacy_requests
        where organization_id = $1 order by created_at desc, id desc limit $2`,
      [orgOf(tx), limit],
    );
    return rows;
  },
  async wasErasedHere(tx: Tx, userId: string): Promise<boolean> {
    const { rowCount } = await tx.query(`select 1 from privacy_requests where organization_id = $1 and user_id = $2 and kind = 'erasure'`, [
      orgOf(tx),
      userId,
    ]);
    return (rowCount ?? 0) > 0;
  },
  /** Organizations the person belongs to other than the transaction's (system-defined lookup). */
  async otherOrganizations(tx: Tx, userId: string): Promise<string[]> {
    const { rows } = await tx.query<{ organization_id: string }>('select organization_id from aim_user_organizations($1) where organization_id <> $2', [
      userId,
      orgOf(tx),
    ]);
    return rows.map((r) => r.organization_id);
  },

  /** What the transaction's organization holds about the person: membership, API keys, agents, audit events. */
  async organizationPart(tx: Tx, userId: string) {
    const org = orgOf(tx);
    const membership = await tx.query<{ role: string; created_at: Date; name: string }>(
      `select m.role, m.created_at, o.name from memberships m join organizations o on o.id = m.organization_id
        where m.organization_id = $1 and m.user_id = $2`,
      [org, userId],
    );
    const apiKeys = await tx.query<{ id: string; name: string; prefix: string; role: string; created_at: Date; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null }>(
      `select id, name, prefix, role, created_at, expires_at, revoked_at, last_used_at from api_keys
        where organization_id = $1 and created_by = $2 order by created_at`,
      [org, userId],
    );
    const agents = await tx.query<{ id: string; name: string; status: string; created_at: Date }>(
      'select id, name, status, created_at from agents where organization_id = $1 and owner_id = $2 order by created_at',
      [org, userId],
    );
    const events = await tx.query<AuditEventRow>(
      `select ${AUDIT_EVENT_COLUMNS} from audit_events
        where organization_id = $1 and ((actor_type = 'user' and actor_id = $2) or (target_type = 'user' and target_id = $2))
        order by occurred_at desc, id desc limit $3`,
      [org, userId, EXPORT_AUDIT_LIMIT + 1],
    );
    const m = membership.rows[0];
    return {
      membership: m ? { organizationId: org, organizationName: m.name, role: m.role, joinedAt: m.created_at.toISOString() } : null,
      apiKeys: apiKeys.rows.map((k) => ({
        id: k.id,
        organizationId: org,
        name: k.name,
        prefix: k.prefix,
        role: k.role,
        createdAt: k.created_at.toISOString(),
        expiresAt: iso(k.expires_at),
        revokedAt: iso(k.revoked_at),
        lastUsedAt: iso(k.last_used_at),
      })),
      agents: agents.rows.map((a) => ({ id: a.id, organizationId: org, name: a.name, status: a.status, createdAt: a.created_at.toISOString() })),
      events: events.rows.slice(0, EXPORT_AUDIT_LIMIT).map(toStoredEvent) as StoredEvent[],
      eventsTruncated: events.rows.length > EXPORT_AUDIT_LIMIT,
    };
  },

  /** What belongs to the person wherever they act (system scope): passkeys and sign-in links. */
  async personPart(tx: Tx, userId: string) {
    const passkeys = await tx.query<{ id: string; name: string; device_type: string; backed_up: boolean; created_at: Date; last_used_at: Date | null }>(
      'select id, name, device_type, backed_up, created_at, last_used_at from passkeys where user_id = $1 order by created_at',
      [userId],
    );
    const identities = await tx.query<{ issuer: string; subject: string; created_at: Date; last_used_at: Date }>(
      'select issuer, subject, created_at, last_used_at from user_identities where user_id = $1 order by created_at',
      [userId],
    );
    const sessions = await tx.query<SessionRow & { revoked_at: Date | null }>('select * from sessions where user_id = $1 order by created_at', [userId]);
    const verified = await tx.query<{ email_verified: boolean }>('select email_verified from users where id = $1', [userId]);
    return {
      emailVerified: verified.rows[0]?.email_verified ?? false,
      sessions: sessions.rows,
      passkeys: passkeys.rows.map((p) => ({
        id: p.id,
        name: p.name,
        deviceType: p.device_type,
        backedUp: p.backed_up,
        createdAt: p.created_at.toISOString(),
        lastUsedAt: iso(p.last_used_at),
      })),
      identities: identities.rows.map((i) => ({
        issuer: i.issuer,
        subject: i.subject,
        createdAt: i.created_at.toISOString(),
        lastUsedAt: i.last_used_at.toISOString(),
      })),
    };
  },
};
