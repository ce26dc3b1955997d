import type { NotificationKind, Role } from '@aim/contracts';
import { orgOf, type Tx } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import { DEFAULT_DIGEST_HOUR_UTC } from './notification-kinds.js';

/** The SQL of notifications: people's settings, the scheduled notifications, the digests sent. */

export interface SettingsRow {
  user_id: string;
  preferences: Record<string, unknown>;
  digest_hour_utc: number;
}

export interface NotificationRow {
  id: string;
  user_id: string;
  kind: NotificationKind;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
}

export interface Recipient {
  userId: string;
  role: Role;
}

export const notificationRepository = {
  /** Settings of these people in the transaction's organization (people without a row are absent). */
  async settings(tx: Tx, userIds: readonly string[]): Promise<Map<string, SettingsRow>> {
    const { rows } = await tx.query<SettingsRow>(
      'select user_id, preferences, digest_hour_utc from notification_settings where organization_id = $1 and user_id = any($2::text[])',
      [orgOf(tx), userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r]));
  },

  async saveSettings(tx: Tx, userId: string, preferences: Record<string, unknown>, digestHourUtc: number): Promise<void> {
    await tx.query(
      `insert into notification_settings (organization_id, user_id, preferences, digest_hour_utc) values ($1, $2, $3, $4)
       on conflict (organization_id, user_id) do update set preferences = excluded.preferences, digest_hour_utc = excluded.digest_hour_utc, updated_at = now()`,
      [orgOf(tx), userId, JSON.stringify(preferences), digestHourUtc],
    );
  },

  /** Active members with one of these roles (and, optionally, only these people). */
  async members(tx: Tx, roles: readonly string[], onlyUserIds?: readonly string[]): Promise<Recipient[]> {
    const { rows } = await tx.query<{ user_id: string; role: Recipient['role'] }>(
      `select m.user_id, m.role from memberships m join users u on u.id = m.user_id
        where m.organization_id = $1 and m.role = any($2::text[]) and u.status = 'active' and ($3::text[] is null or m.user_id = any($3::text[]))
        order by m.user_id`,
      [orgOf(tx), roles, onlyUserIds ?? null],
    );
    return rows.map((r) => ({ userId: r.user_id, role: r.role }));
  },

  /**
   * The numbers of an alert's evidence for its email (alerts, modules/monitoring's table: read here,
   * ARCHITECTURE.md "Boundaries"); null when it cannot be read.
   */
  async alertEvidence(tx: Tx, alertId: string): Promise<{ observed: number; baseline: number | null; threshold: number; unit: string; from: string; to: string } | null> {
    const { rows } = await tx.query<{ observed: number; baseline: number | null; threshold: number; unit: string; from: string; to: string }>(
      `select (evidence->>'observed')::float8 as observed, (evidence->>'baseline')::float8 as baseline, (evidence->>'threshold')::float8 as threshold,
              evidence->>'unit' as unit, evidence->'window'->>'from' as "from", evidence->'window'->>'to' as "to"
         from alerts where organization_id = $1 and id = $2`,
      [orgOf(tx), alertId],
    );
    const row = rows[0];
    return row && row.observed !== null && row.threshold !== null && row.unit !== null ? row : null;
  },

  /** Schedule one notification per person; a repeat (same person, event, kind) is ignored. The rows inserted. */
  async schedule(
    tx: Tx,
    items: readonly { userId: string; eventId: string; kind: NotificationKind; mode: 'immediate' | 'digest'; payload: Record<string, unknown> }[],
  ): Promise<number> {
    if (items.length === 0) return 0;
    const rows = items.map((i) => ({ id: newId('ntf'), user_id: i.userId, event_id: i.eventId, kind: i.kind, mode: i.mode, payload: i.payload }));
    const result = await tx.query(
      `insert into notifications (id, organization_id, user_id, event_id, kind, mode, payload, next_attempt_at)
       select r.id, $1, r.user_id, r.event_id, r.kind, r.mode, r.payload, case when r.mode = 'immediate' then now() end
         from jsonb_to_recordset($2::jsonb) as r(id text, user_id text, event_id text, kind text, mode text, payload jsonb)
       on conflict (user_id, event_id, kind) do nothing`,
      [orgOf(tx), JSON.stringify(rows)],
    );
    return result.rowCount ?? 0;
  },

  /**
   * Claim the due immediate notifications (at most `limit`): each attempt is counted and the next one
   * moved `leaseSeconds` ahead, so a sender that dies mid-send leaves them to be retried.
   */
  async claimDue(tx: Tx, limit: number, leaseSeconds: number): Promise<NotificationRow[]> {
    const { rows } = await tx.query<NotificationRow>(
      `update notifications n set attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => $3::integer)
        where n.id in (select id from notifications where organization_id = $1 and status = 'pending' and mode = 'immediate' and next_attempt_at <= now()
                        order by next_attempt_at limit $2 for update skip locked)
        returning n.id, n.user_id, n.kind, n.payload, n.attempts, n.created_at`,
      [orgOf(tx), limit, leaseSeconds],
    );
    return rows;
  },

  async markSent(tx: Tx, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.query(`update notifications set status = 'sent', sent_at = now(), next_attempt_at = null, last_error = null where organization_id = $1 and id = any($2::text[])`, [
      orgOf(tx),
      ids,
    ]);
  },

  async markCancelled(tx: Tx, ids: readonly string[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await tx.query(`update notifications set status = 'cancelled', next_attempt_at = null, last_error = $3 where organization_id = $1 and id = any($2::text[])`, [
      orgOf(tx),
      ids,
      reason,
    ]);
  },

  /** A failed attempt: retried after `retryInSeconds`, or given up (`failed`) when that is null. */
  async markFailed(tx: Tx, id: string, error: string, retryInSeconds: number | null): Promise<void> {
    await tx.query(
      `update notifications set last_error = $3,
              status = case when $4::integer is null then 'failed' else status end,
              next_attempt_at = case when $4::integer is null then null else now() + make_interval(secs => $4::integer) end
        where organization_id = $1 and id = $2`,
      [orgOf(tx), id, error.slice(0, 500), retryInSeconds],
    );
  },

  /** People with digest items waiting whose hour has come today (UTC) and who had no digest today. */
  async digestDue(tx: Tx, hourUtc: number, day: string): Promise<string[]> {
    const { rows } = await tx.query<{ user_id: string }>(
      `select distinct n.user_id from notifications n
         left join notification_settings s on s.organization_id = n.organization_id and s.user_id = n.user_id
        where n.organization_id = $1 and n.status = 'pending' and n.mode = 'digest'
          and coalesce(s.digest_hour_utc, $4) <= $2
          and not exists (select 1 from notification_digests d where d.organization_id = n.organization_id and d.user_id = n.user_id and d.day = $3::date)
        order by n.user_id`,
      [orgOf(tx), hourUtc, day, DEFAULT_DIGEST_HOUR_UTC],
    );
    return rows.map((r) => r.user_id);
  },

  /** A person's waiting digest items, locked, oldest first. */
  async digestItems(tx: Tx, userId: string, until: Date): Promise<NotificationRow[]> {
    const { rows } = await tx.query<NotificationRow>(
      `select id, user_id, kind, payload, attempts, created_at from notifications
        where organization_id = $1 and user_id = $2 and status = 'pending' and mode = 'digest' and created_at <= $3
        order by created_at, id for update`,
      [orgOf(tx), userId, until],
    );
    return rows;
  },

  /** Record today's digest; false when one was already recorded (another run got there first). */
  async recordDigest(tx: Tx, userId: string, day: string, items: number): Promise<boolean> {
    const result = await tx.query(
      `insert into notification_digests (organization_id, user_id, day, items) values ($1, $2, $3::date, $4) on conflict do nothing`,
      [orgOf(tx), userId, day, items],
    );
    return result.rowCount === 1;
  },
};
