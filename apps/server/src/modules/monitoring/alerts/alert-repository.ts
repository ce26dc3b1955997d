import type { AlertEvidence, AlertJson, AlertSeverity, AlertStatus, AlertSubjectType, Detector } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';

/** Alerts and their notes of the transaction's organization (migration 0019). */
export interface AlertRow {
  id: string;
  organization_id: string;
  type: Detector;
  severity: AlertSeverity;
  subject_type: AlertSubjectType;
  subject_id: string;
  status: AlertStatus;
  snoozed_until: Date | null;
  assignee_id: string | null;
  title: string;
  summary: string;
  dedup_key: string;
  occurrences: number;
  first_seen_at: Date;
  last_seen_at: Date;
  evidence: AlertEvidence;
  created_at: Date;
  updated_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by_type: 'user' | 'api_key' | 'system' | null;
  acknowledged_by_id: string | null;
  resolved_at: Date | null;
  resolved_by_type: 'user' | 'api_key' | 'system' | null;
  resolved_by_id: string | null;
}

export interface AlertNoteRow {
  id: string;
  alert_id: string;
  author_type: 'user' | 'api_key' | 'system';
  author_id: string | null;
  body: string;
  created_at: Date;
}

export type AlertActorType = 'user' | 'api_key' | 'system';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const actorOf = (type: AlertActorType | null, id: string | null) => (type ? { type, id } : null);

/** An alert row as the API answers it (the contract's Alert). */
export const alertJson = (row: AlertRow): AlertJson => ({
  id: row.id,
  organizationId: row.organization_id,
  type: row.type,
  severity: row.severity,
  subject: { type: row.subject_type, id: row.subject_id },
  status: row.status,
  snoozedUntil: iso(row.snoozed_until),
  assigneeId: row.assignee_id,
  title: row.title,
  summary: row.summary,
  dedupKey: row.dedup_key,
  occurrences: row.occurrences,
  firstSeenAt: row.first_seen_at.toISOString(),
  lastSeenAt: row.last_seen_at.toISOString(),
  evidence: row.evidence,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  acknowledgedAt: iso(row.acknowledged_at),
  acknowledgedBy: actorOf(row.acknowledged_by_type, row.acknowledged_by_id),
  resolvedAt: iso(row.resolved_at),
  resolvedBy: actorOf(row.resolved_by_type, row.resolved_by_id),
});

export const alertNoteJson = (row: AlertNoteRow) => ({
  id: row.id,
  alertId: row.alert_id,
  author: { type: row.author_type, id: row.author_id },
  body: row.body,
  createdAt: row.created_at.toISOString(),
});

export interface AlertFilter {
  status?: AlertStatus[] | undefined;
  severity?: AlertSeverity[] | undefined;
  type?: Detector[] | undefined;
  subjectType?: AlertSubjectType | undefined;
  subjectId?: string | undefined;
  assigneeId?: string | undefined;
  unassigned?: boolean | undefined;
  since?: string | undefined;
  until?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** Columns the service may set (never named by a client). */
export type AlertChanges = Partial<
  Pick<AlertRow, 'status' | 'snoozed_until' | 'assignee_id' | 'acknowledged_at' | 'acknowledged_by_type' | 'acknowledged_by_id' | 'resolved_at' | 'resolved_by_type' | 'resolved_by_id'>
>;

export const alertRepository = {
  async find(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<AlertRow | null> {
    const { rows } = await tx.query<AlertRow>(`select * from alerts where organization_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`, [orgOf(tx), id]);
    return rows[0] ?? null;
  },

  /** The alerts among `ids`, locked in id order (so two bulk actions over the same alerts cannot deadlock). */
  async lockMany(tx: Tx, ids: string[]): Promise<Map<string, AlertRow>> {
    const { rows } = await tx.query<AlertRow>('select * from alerts where organization_id = $1 and id = any($2::text[]) order by id for update', [orgOf(tx), ids]);
    return new Map(rows.map((r) => [r.id, r]));
  },

  async list(tx: Tx, f: AlertFilter) {
    const { rows } = await tx.query<AlertRow>(
      `select * from alerts
        where organization_id = $1
          and ($2::text[] is null or status = any($2)) and ($3::text[] is null or severity = any($3)) and ($4::text[] is null or type = any($4))
          and ($5::text is null or subject_type = $5) and ($6::text is null or subject_id = $6)
          and ($7::text is null or assignee_id = $7) and ($8::boolean is null or (assignee_id is null) = $8)
          and ($9::timestamptz is null or last_seen_at >= $9) and ($10::timestamptz is null or last_seen_at < $10)
          and ($11::text is null or id < $11)
        order by id desc limit $12`,
      [
        orgOf(tx),
        f.status ?? null,
        f.severity ?? null,
        f.type ?? null,
        f.subjectType ?? null,
        f.subjectId ?? null,
        f.assigneeId ?? null,
        f.unassigned ?? null,
        f.since ?? null,
        f.until ?? null,
        f.cursor ?? null,
        f.limit + 1,
      ],
    );
    const more = rows.length > f.limit;
    const page = more ? rows.slice(0, f.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },

  /** `changes` maps column names (chosen by the service) to values; updated_at is now. */
  async update(tx: Tx, id: string, changes: AlertChanges): Promise<AlertRow> {
    const columns = Object.keys(changes) as (keyof AlertChanges)[];
    const assignments = columns.map((column, i) => `${column} = $${i + 3}`).join(', ');
    const { rows } = await tx.query<AlertRow>(
      `update alerts set ${assignments}, updated_at = now() where organization_id = $1 and id = $2 returning *`,
      [orgOf(tx), id, ...columns.map((c) => changes[c])],
    );
    return rows[0]!;
  },

  /** Another active alert with the same deduplication key (what a reopen would collide with). */
  async activeWithKey(tx: Tx, dedupKey: string, except: string): Promise<string | null> {
    const { rows } = await tx.query<{ id: string }>(
      `select id from alerts where organization_id = $1 and dedup_key = $2 and id <> $3 and status in ('open', 'acknowledged', 'snoozed') limit 1`,
      [orgOf(tx), dedupKey, except],
    );
    return rows[0]?.id ?? null;
  },

  /** Snoozed alerts whose time has come, locked (skipping any a person is changing now). */
  async snoozeEnded(tx: Tx, now: Date, limit: number): Promise<AlertRow[]> {
    const { rows } = await tx.query<AlertRow>(
      `select * from alerts where organization_id = $1 and status = 'snoozed' and snoozed_until <= $2 order by snoozed_until, id limit $3 for update skip locked`,
      [orgOf(tx), now, limit],
    );
    return rows;
  },

  async notes(tx: Tx, alertId: string): Promise<AlertNoteRow[]> {
    const { rows } = await tx.query<AlertNoteRow>('select * from alert_notes where organization_id = $1 and alert_id = $2 order by id', [orgOf(tx), alertId]);
    return rows;
  },

  async insertNote(tx: Tx, note: { id: string; alertId: string; authorType: AlertActorType; authorId: string | null; body: string }): Promise<AlertNoteRow> {
    const { rows } = await tx.query<AlertNoteRow>(
      'insert into alert_notes (id, organization_id, alert_id, author_type, author_id, body) values ($1, $2, $3, $4, $5, $6) returning *',
      [note.id, orgOf(tx), note.alertId, note.authorType, note.authorId, note.body],
    );
    return rows[0]!;
  },
};
