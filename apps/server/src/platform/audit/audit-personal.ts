import type { PersonalData } from '../crypto/personal-data.js';
import { sealedKeyId } from '../crypto/personal-data.js';
import type { Tx } from '../db/database.js';
import type { StoredEvent } from './audit-row.js';

/** An event as its readers see it: personal members opened, and those whose key was destroyed named. */
export type ReadableEvent = StoredEvent & { erased: string[] };

/**
 * Open the personal members of a page of events (docs/audit.md §1, docs/privacy.md): values sealed
 * under a person's key (`pd1.…`) are decrypted while the key exists and read as null once it was
 * destroyed, their member listed in `erased`. Plain values (events written before sealing, agents'
 * and AIM's own) are returned as they are. One query for the keys of the whole page.
 */
export async function openEvents(tx: Tx, personalData: PersonalData, events: StoredEvent[]): Promise<ReadableEvent[]> {
  const sealed: string[] = [];
  for (const e of events) {
    for (const v of [e.clientIp, e.userAgent, ...Object.values(e.details)]) if (typeof v === 'string' && sealedKeyId(v)) sealed.push(v);
  }
  if (sealed.length === 0) return events.map((e) => ({ ...e, erased: [] }));
  const opener = await personalData.opener(tx, sealed);
  return events.map((e) => {
    const erased: string[] = [];
    const open = (member: string, value: string | null, aad: string): string | null => {
      const opened = opener.open(value, aad);
      if (opened.state === 'erased' || opened.state === 'unreadable') erased.push(member);
      return opened.value;
    };
    const details: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e.details)) {
      details[k] = typeof v === 'string' && sealedKeyId(v) ? open(`details.${k}`, v, `audit_events.details.${k}:${e.id}`) : v;
    }
    return {
      ...e,
      clientIp: open('clientIp', e.clientIp, `audit_events.client_ip:${e.id}`),
      userAgent: open('userAgent', e.userAgent, `audit_events.user_agent:${e.id}`),
      details,
      erased,
    };
  });
}

/** An event as the API answers it (AuditEvent): what the export carries, as chained. */
export const auditEventJson = (e: StoredEvent) => ({
  id: e.id,
  seq: e.seq,
  hash: e.hash?.toString('hex') ?? null,
  occurredAt: e.occurredAt,
  actor: e.actor as { type: 'user' | 'agent' | 'api_key' | 'system'; id: string | null },
  action: e.action,
  target: e.target,
  outcome: e.outcome as 'success' | 'failure' | 'denied',
  requestId: e.requestId,
  clientIp: e.clientIp,
  userAgent: e.userAgent,
  details: e.details,
});

/** An event for readers (the list): personal members opened, erased ones named. */
/** The same, opened for a reader: erased fields named. */
export const readableEventJson = (e: ReadableEvent) => ({ ...auditEventJson(e), ...(e.erased.length > 0 ? { erased: e.erased } : {}) });
