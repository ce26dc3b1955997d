import type { Tx } from '../db/database.js';
import { newId } from '../ids.js';
import { chainHash, type ChainedEvent } from '@aim/audit-verify';
import type { RequestContext } from '../http/request-context.js';

/**
 * The audit write path. `recordAuditEvent` writes inside the caller's transaction, so a change
 * and its record commit together or not at all: if the insert fails, the change fails. Each event
 * takes the next place in its organization's hash chain (see audit-chain.ts).
 * Details never carry secrets; a key that looks like one is refused before anything is written.
 */

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEventInput {
  /**
   * The organization whose log records the event. Taken from the transaction's scope; only a
   * system-scope transaction (sign-in flows) names it here.
   */
  organizationId?: string;
  /** `resource.verb`, e.g. `organization.create`. */
  action: string;
  target?: { type: string; id: string } | undefined;
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface RecordedAuditEvent {
  id: string;
}

export class AuditWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditWriteError';
  }
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const SECRET_KEY = /pass(word|phrase)|secret|token|private_?key|api_?key|credential|authorization|cookie/i;

function assertNoSecrets(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoSecrets(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) throw new AuditWriteError(`Audit details must not carry secrets (field ${path}.${key}).`);
      assertNoSecrets(v, `${path}.${key}`);
    }
  }
}

export async function recordAuditEvent(tx: Tx, ctx: RequestContext, event_: AuditEventInput): Promise<RecordedAuditEvent> {
  const organizationId = tx.organizationId ?? event_.organizationId;
  if (!organizationId) throw new AuditWriteError('An audit event needs a transaction scoped to an organization.');
  if (tx.organizationId && event_.organizationId && event_.organizationId !== tx.organizationId) {
    throw new AuditWriteError('An audit event cannot name another organization than its transaction.');
  }
  if (!ACTION.test(event_.action)) throw new AuditWriteError(`Audit action "${event_.action}" is not of the form resource.verb.`);
  // Through JSON once, so the details hashed are exactly what jsonb gives back (no undefined, no Dates).
  const details = JSON.parse(JSON.stringify(event_.details ?? {})) as Record<string, unknown>;
  assertNoSecrets(details, 'details');
  const id = newId('evt');
  // Lock the head of the organization's chain: writers of one organization take turns here, in the
  // database, whatever instance they run on. The time and the client address come back normalized
  // by PostgreSQL, exactly as they will be read for verification.
  const { rows } = await tx.query<{ seq: string; hash: Buffer; now: string; ip: string | null }>(
    `select h.seq, h.hash, to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as now, host($2::inet) as ip
       from audit_chain_heads h where h.organization_id = $1 for update`,
    [organizationId, ctx.clientIp],
  );
  const head = rows[0];
  if (!head) throw new AuditWriteError(`Organization ${organizationId} has no audit chain.`);
  const event: ChainedEvent = {
    id,
    organizationId,
    seq: Number(head.seq) + 1,
    occurredAt: head.now,
    actor: { type: ctx.actor.type, id: ctx.actor.id },
    action: event_.action,
    target: event_.target ? { type: event_.target.type, id: event_.target.id } : null,
    outcome: event_.outcome ?? 'success',
    requestId: ctx.requestId,
    clientIp: head.ip,
    userAgent: ctx.userAgent,
    details,
  };
  const hash = chainHash(head.hash, event);
  // No RETURNING: a system-scope flow may append to an organization's log but not read it back.
  await tx.query(
    `insert into audit_events
       (id, organization_id, seq, hash, occurred_at, actor_type, actor_id, action, target_type, target_id, outcome,
        request_id, client_ip, user_agent, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      id,
      organizationId,
      event.seq,
      hash,
      event.occurredAt,
      event.actor.type,
      event.actor.id,
      event.action,
      event.target?.type ?? null,
      event.target?.id ?? null,
      event.outcome,
      event.requestId,
      event.clientIp,
      event.userAgent,
      details,
    ],
  );
  return { id };
}
