import type { ChainedEvent } from '@aim/audit-verify';

/**
 * An audit event as read back from the database, in exactly the form the chain hashes it: the time
 * as UTC text with microseconds, the client address as PostgreSQL normalizes it. The writer's
 * sequencer, the readers and the verifier all read events through these columns.
 */
export const AUDIT_EVENT_COLUMNS = `id, organization_id, ingest_id, seq, hash,
  to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at_text,
  actor_type, actor_id, action, target_type, target_id, outcome, request_id, client_ip as ip, user_agent, details`;

export interface AuditEventRow {
  id: string;
  organization_id: string;
  ingest_id: string;
  seq: string | null;
  hash: Buffer | null;
  occurred_at_text: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

/** An event as stored: chained (seq and hash set) or still waiting for the sequencer (null). */
export type StoredEvent = Omit<ChainedEvent, 'seq'> & { seq: number | null; hash: Buffer | null; ingestId: number };
export type ChainedStoredEvent = ChainedEvent & { hash: Buffer; ingestId: number };

export function toStoredEvent(r: AuditEventRow): StoredEvent {
  return {
    id: r.id,
    organizationId: r.organization_id,
    ingestId: Number(r.ingest_id),
    seq: r.seq === null ? null : Number(r.seq),
    hash: r.hash,
    occurredAt: r.occurred_at_text,
    actor: { type: r.actor_type, id: r.actor_id },
    action: r.action,
    target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
    outcome: r.outcome,
    requestId: r.request_id,
    clientIp: r.ip,
    userAgent: r.user_agent,
    details: r.details,
  };
}
