import type { ChainedStoredEvent } from '../../platform/audit/audit-row.js';

/**
 * One audit event as a syslog message (docs/siem.md has the mapping): RFC 5424 with an SD element of
 * AIM's own (`aim@32473`: 32473 is the example Private Enterprise Number of RFC 5612, as AIM has none
 * registered) and the whole event as JSON in MSG, BOM-prefixed UTF-8; framed by octet counting
 * (RFC 6587 §3.4.1, the framing RFC 5425 uses over TLS too): `<length> <message>`.
 */

/** The SD-ID of AIM's structured data element. */
export const SD_ID = 'aim@32473';

export interface SyslogHeader {
  /** 0–23. */
  facility: number;
  /** RFC 5424 HOSTNAME (printable ASCII, ≤ 255). */
  hostname: string;
  /** RFC 5424 APP-NAME (printable ASCII, ≤ 48). */
  appName: string;
}

/** Severity by outcome: a success is informational (6); a refusal or a failure is a warning (4). */
export function severityOf(outcome: string): number {
  return outcome === 'success' ? 6 : 4;
}

/** Printable US-ASCII (33–126) only, at most `max` characters; `-` (the NILVALUE) when nothing is left. */
function printable(value: string, max: number): string {
  const kept = value.replace(/[^!-~]/g, '').slice(0, max);
  return kept === '' ? '-' : kept;
}

/** An SD-PARAM value: `"`, `\` and `]` escaped with a backslash (RFC 5424 §6.3.3). */
export function sdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** The event as MSG carries it: every column, the hash in hex. */
export function eventJson(event: ChainedStoredEvent): string {
  return JSON.stringify({
    id: event.id,
    organizationId: event.organizationId,
    seq: event.seq,
    hash: event.hash.toString('hex'),
    occurredAt: event.occurredAt,
    actor: { type: event.actor.type, id: event.actor.id },
    action: event.action,
    target: event.target ? { type: event.target.type, id: event.target.id } : null,
    outcome: event.outcome,
    requestId: event.requestId,
    clientIp: event.clientIp,
    userAgent: event.userAgent,
    details: event.details,
  });
}

/** The RFC 5424 message of one event (without framing). */
export function syslogMessage(event: ChainedStoredEvent, header: SyslogHeader): Buffer {
  const pri = header.facility * 8 + severityOf(event.outcome);
  const sd = `[${SD_ID} organizationId="${sdValue(event.organizationId)}" seq="${event.seq}" eventId="${sdValue(event.id)}"]`;
  const head = `<${pri}>1 ${event.occurredAt} ${printable(header.hostname, 255)} ${printable(header.appName, 48)} - ${printable(event.action, 32)} ${sd} `;
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(eventJson(event), 'utf8')]);
}

/** Octet-counting framing: the message's length in bytes, a space, the message. */
export function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}
