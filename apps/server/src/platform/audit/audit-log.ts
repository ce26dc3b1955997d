import type { Tx } from '../db/database.js';
import { newId } from '../ids.js';
import type { RequestContext } from '../http/request-context.js';

/**
 * The audit write path. `recordAuditEvent` writes inside the caller's transaction, so a change
 * and its record commit together or not at all: if the insert fails, the change fails. The insert
 * takes no lock: the sequencer (audit-sequencer.ts) chains committed events shortly after.
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
  /**
   * Personal values about a person (a passkey's name, …), sealed under that person's data key and
   * merged into `details` (docs/privacy.md). Details never carry a person's email or name in clear.
   */
  personal?: { userId: string; details: Record<string, string> };
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
/** Personal data goes through `personal` (sealed under the person's key), never in clear in details. */
const PERSONAL_KEY = /^e-?mail(_?address)?$/i;

function assertNoSecrets(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoSecrets(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) throw new AuditWriteError(`Audit details must not carry secrets (field ${path}.${key}).`);
      if (PERSONAL_KEY.test(key)) throw new AuditWriteError(`Audit details must not carry an email in clear (field ${path}.${key}); name the person by id.`);
      assertNoSecrets(v, `${path}.${key}`);
    }
  }
}

/** The columns an audit event is inserted with, in the order of `auditEventValues`. */
export const AUDIT_EVENT_COLUMNS =
  'id, organization_id, actor_type, actor_id, action, target_type, target_id, outcome, request_id, client_ip, user_agent, details';

/**
 * The checked values of one audit event (12, in the order of AUDIT_EVENT_COLUMNS), for a caller that
 * writes it within a larger statement; `recordAuditEvent` is the usual way.
 */
export function auditEventValues(tx: Tx, ctx: RequestContext, event_: AuditEventInput): { id: string; values: unknown[] } {
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
  return {
    id,
    values: [
      id,
      organizationId,
      ctx.actor.type,
      ctx.actor.id,
      event_.action,
      event_.target?.type ?? null,
      event_.target?.id ?? null,
      event_.outcome ?? 'success',
      ctx.requestId,
      ctx.clientIp,
      ctx.userAgent,
      details,
    ],
  };
}

/** The person whose client address and user agent an event carries: the signed-in person, or an API key's creator. */
function personOf(ctx: RequestContext): string | null {
  return ctx.personId ?? (ctx.actor.type === 'user' ? ctx.actor.id : null);
}

/**
 * Seal the personal members of checked events in place (docs/audit.md §1): `clientIp` and
 * `userAgent` under the acting person's key, `personal` details under their subject's key. The
 * chain then hashes the ciphertext. Without a person (agents, AIM itself) they stay as they are.
 */
async function sealPersonalMembers(tx: Tx, ctx: RequestContext, events: { input: AuditEventInput; id: string; values: unknown[] }[]): Promise<void> {
  const sealer = tx.personalData;
  if (!sealer) return;
  const person = personOf(ctx);
  if (person) {
    const sealed = await sealer.seal(
      tx,
      person,
      events.flatMap((e) => [
        { value: e.values[9] as string | null, aad: `audit_events.client_ip:${e.id}` },
        { value: e.values[10] as string | null, aad: `audit_events.user_agent:${e.id}` },
      ]),
    );
    events.forEach((e, i) => {
      e.values[9] = sealed[2 * i];
      e.values[10] = sealed[2 * i + 1];
    });
  }
  for (const e of events) {
    const personal = e.input.personal;
    if (!personal) continue;
    const entries = Object.entries(personal.details);
    const sealed = await sealer.seal(tx, personal.userId, entries.map(([k, v]) => ({ value: v, aad: `audit_events.details.${k}:${e.id}` })));
    const details = e.values[11] as Record<string, unknown>;
    entries.forEach(([k], i) => {
      details[k] = sealed[i];
    });
  }
}

export async function recordAuditEvent(tx: Tx, ctx: RequestContext, event_: AuditEventInput): Promise<RecordedAuditEvent> {
  const { id, values } = auditEventValues(tx, ctx, event_);
  await sealPersonalMembers(tx, ctx, [{ input: event_, id, values }]);
  // No RETURNING: a system-scope flow may append to an organization's log but not read it back.
  // The event arrives unchained; the sequencer gives it its place in the chain moments later.
  await tx.query(`insert into audit_events (${AUDIT_EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, values, {
    name: 'aim.audit.insert',
  });
  return { id };
}

/**
 * An audit event as a row for a statement of the caller's to insert, so that a change and its audit
 * record can be one statement (`insert into audit_events (${columns}) values (…)` as a CTE, with the
 * values in order): checked, and sealed, exactly as recordAuditEvent writes it.
 */
export async function auditEventRow(tx: Tx, ctx: RequestContext, event_: AuditEventInput): Promise<{ id: string; columns: string; values: unknown[] }> {
  const { id, values } = auditEventValues(tx, ctx, event_);
  await sealPersonalMembers(tx, ctx, [{ input: event_, id, values }]);
  return { id, columns: AUDIT_EVENT_COLUMNS, values };
}

/** Several audit events in one statement (a batch of the same change to many targets, e.g. trust scores). */
export async function recordAuditEvents(tx: Tx, ctx: RequestContext, events: AuditEventInput[]): Promise<RecordedAuditEvent[]> {
  if (events.length === 0) return [];
  const checked = events.map((e) => auditEventValues(tx, ctx, e));
  await sealPersonalMembers(tx, ctx, checked.map((c, i) => ({ input: events[i]!, ...c })));
  const width = checked[0]!.values.length;
  const rows = checked.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
  await tx.query(`insert into audit_events (${AUDIT_EVENT_COLUMNS}) values ${rows.join(', ')}`, checked.flatMap((c) => c.values));
  return checked.map((c) => ({ id: c.id }));
}
