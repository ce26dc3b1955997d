import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Keyring } from '../../../platform/crypto/keyring.js';
import { newId } from '../../../platform/ids.js';

/**
 * Test fixtures for webhook delivery: endpoints, events and deliveries written directly (the endpoints
 * API lives beside this folder), and real HTTP receivers on loopback that record what they were sent.
 */
export interface Sql {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** An endpoint that receives the fixture's `webhook.test` events only (the organization's own events, fanned out, would arrive too). */
export async function insertEndpoint(
  sql: Sql,
  keyring: Pick<Keyring, 'encrypt'>,
  organizationId: string,
  options: { url: string; secret?: string; previousSecret?: { secret: string; expiresAt: Date }; enabled?: boolean; failingSince?: Date },
): Promise<{ id: string; secret: string }> {
  const id = newId('whk');
  const secret = options.secret ?? newSecret();
  const previous = options.previousSecret;
  await sql.query(
    `insert into webhook_endpoints (id, organization_id, url, event_types, enabled, disabled_reason, secret_ciphertext,
       previous_secret_ciphertext, previous_secret_expires_at, failing_since, created_by_type, created_by_id)
     values ($1, $2, $3, '{webhook.test}', $4, $5, $6, $7, $8, $9, 'user', 'usr_fixture')`,
    [
      id,
      organizationId,
      options.url,
      options.enabled ?? true,
      options.enabled === false ? 'disabled by a test' : null,
      keyring.encrypt(secret, `webhook_endpoints.secret:${id}`),
      previous ? keyring.encrypt(previous.secret, `webhook_endpoints.previous_secret:${id}`) : null,
      previous?.expiresAt ?? null,
      options.failingSince ?? null,
    ],
  );
  return { id, secret };
}

export interface FixtureEvent {
  id: string;
  type: 'webhook.test';
  version: 1;
  organizationId: string;
  occurredAt: string;
  data: { endpointId: string; message: string };
}

/** An event as the fan-out keeps it (webhook_events), in the event contract's shape. */
export async function insertEvent(sql: Sql, organizationId: string, message = 'hello', options: { microseconds?: string } = {}): Promise<FixtureEvent> {
  const event: FixtureEvent = {
    id: newId('dev'),
    type: 'webhook.test',
    version: 1,
    organizationId,
    occurredAt: new Date().toISOString(),
    data: { endpointId: newId('whk'), message },
  };
  // Stored with sub-millisecond digits when asked (a time PostgreSQL wrote itself); the event's JSON keeps milliseconds.
  const stored = options.microseconds ? event.occurredAt.replace('Z', `${options.microseconds}Z`) : event.occurredAt;
  await sql.query('insert into webhook_events (id, organization_id, type, version, occurred_at, data) values ($1, $2, $3, $4, $5, $6)', [
    event.id,
    organizationId,
    event.type,
    event.version,
    stored,
    JSON.stringify(event.data),
  ]);
  storedTimes.set(event.id, stored);
  return event;
}

/** The time each fixture event was stored with (its delivery must name exactly that). */
const storedTimes = new Map<string, string>();

/** A delivery of `event` to an endpoint, due at `dueAt` (default now). */
export async function scheduleDelivery(sql: Sql, endpointId: string, event: FixtureEvent, dueAt?: Date): Promise<string> {
  const id = newId('whd');
  await sql.query(
    `insert into webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, event_occurred_at, next_attempt_at)
     values ($1, $2, $3, $4, $5, $6, coalesce($7, now()))`,
    [id, event.organizationId, endpointId, event.id, event.type, storedTimes.get(event.id) ?? event.occurredAt, dueAt ?? null],
  );
  return id;
}

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An HTTP receiver on 127.0.0.1 that records every request, then lets `answer` reply (or not). */
export async function startReceiver(answer: (req: Received, res: ServerResponse, index: number) => void = (_r, res) => res.end('ok')): Promise<Receiver> {
  const received: Received[] = [];
  const waiting = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      for (const check of waiting) check();
      answer(entry, res, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    waitFor: (n, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`the receiver got ${received.length} of ${n} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        function check() {
          if (received.length < n) return;
          clearTimeout(timer);
          waiting.delete(check);
          resolve();
        }
        waiting.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Verify a received request as a receiver would (throws when no signature matches `secret`). */
export function verifyReceived(secret: string, received: Received): unknown {
  return new Webhook(secret).verify(received.body, {
    'webhook-id': String(received.headers['webhook-id']),
    'webhook-timestamp': String(received.headers['webhook-timestamp']),
    'webhook-signature': String(received.headers['webhook-signature']),
  });
}

/** Poll until `probe` returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
