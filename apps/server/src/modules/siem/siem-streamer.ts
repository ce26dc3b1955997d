import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../../platform/db/database.js';
import { AUDIT_EVENT_COLUMNS, toStoredEvent, type AuditEventRow, type ChainedStoredEvent } from '../../platform/audit/audit-row.js';
import { connectSyslog, type SyslogConnection, type SyslogDestination } from './syslog-connection.js';
import { frame, syslogMessage, type SyslogHeader } from './syslog-format.js';

/**
 * The SIEM streamer (docs/siem.md): every chained audit event of every organization, in chain order
 * per organization, written to the deployment's syslog collector. Per organization a cursor
 * (siem_cursors) holds the last `seq` written; it advances only once the batch up to it was handed
 * to the operating system on the open connection (the socket's write callback), so a restart or an
 * outage of the collector resumes from it: at least once, never skipping. One instance streams at a
 * time (a lease in siem_stream, renewed as it works, given up on a clean stop).
 *
 * It wakes when events are chained (the shared pub/sub's `audit.appended`) and also polls. A
 * connection that closes has the events written on it in the last RESEND_WINDOW_MS sent again on the
 * next one (the collector may have dropped what was in flight): duplicates, identified by eventId and seq.
 */
const BATCH = 500;
const RESEND_WINDOW_MS = 10_000;
const FIRST_RETRY_MS = 100;

export interface SiemStatus {
  /** This instance holds the lease and streams. */
  streaming: boolean;
  connected: boolean;
  /** Chained events not yet streamed, at the last look (all organizations). */
  behind: number;
  lastError: string | null;
}

export interface SiemStreamerOptions {
  db: Database;
  logger: Pick<Logger, 'info' | 'warn'>;
  destination: Omit<SyslogDestination, 'ca'>;
  /** PEM file of the authorities for a TLS collector, read at each connection. */
  caFile?: string | undefined;
  header: () => SyslogHeader;
  /** The deployment's first stream starts at each organization's head rather than at its first event. */
  startNow: boolean;
  retryMaxMs: number;
  pollMs: number;
  /** Calls `wake` when audit events were chained (on any instance); resolves to an unsubscribe. */
  listen?: (wake: () => void) => Promise<() => void>;
  observe?: (update: { streamed?: number; behind?: number; connected?: boolean }) => void;
}

export interface SiemStreamer {
  start(): void;
  stop(): Promise<void>;
  status(): SiemStatus;
}

class LeaseLost extends Error {}

export function createSiemStreamer(options: SiemStreamerOptions): SiemStreamer {
  const { db, logger } = options;
  const holder = `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const leaseSeconds = Math.max(10, Math.ceil((3 * options.pollMs) / 1000));
  const observe = options.observe ?? (() => undefined);
  let stopped = false;
  let running: Promise<void> | undefined;
  let unlisten: (() => void) | undefined;
  let connection: SyslogConnection | undefined;
  let streaming = false;
  let behind = 0;
  let lastError: string | null = null;
  let claimedAt = 0;
  /** What was written on the current connection lately: organization, first seq, when. */
  let recent: { organizationId: string; firstSeq: number; at: number }[] = [];
  /** Organizations whose recent events go out again (after a connection closed): from this seq on. */
  const resendAfter = new Map<string, number>();

  let interrupt: (() => void) | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  /** Wait `ms`; `stop` ends the wait, and so does a wake-up when `wakeable`. */
  const sleep = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      if (stopped || (wakeable && woken)) {
        woken = false;
        return resolve();
      }
      const done = () => {
        clearTimeout(timer);
        interrupt = wakeUp = undefined;
        if (wakeable) woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      interrupt = done;
      if (wakeable) wakeUp = done;
    });
  const wake = () => {
    if (wakeUp) wakeUp();
    else woken = true;
  };

  const setBehind = (n: number) => {
    behind = Math.max(0, n);
    observe({ behind });
  };

  async function claim(): Promise<boolean> {
    const { rows } = await db.query<{ ok: boolean }>('select aim_siem_claim($1, $2, $3) as ok', [holder, leaseSeconds, options.startNow]);
    if (rows[0]?.ok) claimedAt = Date.now();
    return rows[0]?.ok === true;
  }

  /** Renew the lease when a third of it has passed; losing it stops this pass. */
  async function holdLease(): Promise<void> {
    if (Date.now() - claimedAt < (leaseSeconds * 1000) / 3) return;
    if (!(await claim())) throw new LeaseLost('another instance took the SIEM stream over');
  }

  function connectionClosed(error: Error | undefined) {
    connection = undefined;
    observe({ connected: false });
    if (stopped) return;
    lastError = error?.message ?? 'the collector closed the connection';
    // What the collector may not have taken goes out again on the next connection.
    const since = Date.now() - RESEND_WINDOW_MS;
    for (const r of recent) {
      if (r.at < since) continue;
      resendAfter.set(r.organizationId, Math.min(resendAfter.get(r.organizationId) ?? Infinity, r.firstSeq - 1));
    }
    recent = [];
    wake();
  }

  /** Close the connection on purpose. */
  function drop() {
    const current = connection;
    connection = undefined;
    if (current) {
      current.close();
      observe({ connected: false });
    }
  }

  async function connect(): Promise<SyslogConnection> {
    const ca = options.caFile ? await readFile(options.caFile, 'utf8') : undefined;
    // Only the current connection's end counts: one dropped on purpose (lease lost, stop) does not.
    const opened: SyslogConnection = await connectSyslog({ ...options.destination, ca }, (error) => {
      if (connection === opened) connectionClosed(error);
    });
    if (stopped) {
      opened.close();
      throw new Error('stopping');
    }
    connection = opened;
    observe({ connected: true });
    logger.info({ host: options.destination.host, port: options.destination.port, protocol: options.destination.protocol }, 'connected to the SIEM collector');
    return opened;
  }

  async function read(organizationId: string, after: number): Promise<ChainedStoredEvent[]> {
    const { rows } = await db.transaction({ organizationId }, (tx) =>
      tx.query<AuditEventRow>(`select ${AUDIT_EVENT_COLUMNS} from audit_events where organization_id = $1 and seq > $2 order by seq limit $3`, [
        organizationId,
        after,
        BATCH,
      ]),
    );
    return rows.map((r) => toStoredEvent(r) as ChainedStoredEvent);
  }

  const advance = (organizationId: string, seq: number) =>
    db.transaction({ organizationId }, (tx) =>
      tx.query(
        `insert into siem_cursors (organization_id, seq) values ($1, $2)
         on conflict (organization_id) do update set seq = greatest(siem_cursors.seq, excluded.seq), updated_at = now()`,
        [organizationId, seq],
      ),
    );

  /** One batch per organization with something to send; true when some organization has more. */
  async function pass(conn: SyslogConnection): Promise<boolean> {
    const { rows } = await db.query<{ organization_id: string; streamed: string; chained: string }>(
      'select organization_id, streamed, chained from aim_siem_backlog()',
    );
    const work = new Map<string, { from: number; streamed: number; chained: number }>();
    for (const r of rows) work.set(r.organization_id, { from: Number(r.streamed), streamed: Number(r.streamed), chained: Number(r.chained) });
    for (const [organizationId, after] of resendAfter) {
      const w = work.get(organizationId);
      if (w) w.from = Math.min(w.from, after);
      else work.set(organizationId, { from: after, streamed: Infinity, chained: 0 });
    }
    let left = rows.reduce((n, r) => n + Number(r.chained) - Number(r.streamed), 0);
    setBehind(left);
    const header = options.header();
    let more = false;
    for (const [organizationId, w] of work) {
      if (stopped) break;
      await holdLease();
      const events = await read(organizationId, w.from);
      if (events.length === 0) {
        resendAfter.delete(organizationId);
        // Chained, yet not there: removed by retention before they were streamed.
        if (w.chained > w.streamed) {
          logger.warn({ organizationId, from: w.streamed + 1, to: w.chained }, 'audit events were removed by retention before they reached the SIEM');
          await advance(organizationId, w.chained);
          setBehind((left -= w.chained - w.streamed));
        }
        continue;
      }
      const first = events[0]!.seq;
      if (first > w.from + 1 && w.from >= w.streamed) {
        logger.warn({ organizationId, from: w.from + 1, to: first - 1 }, 'audit events were removed by retention before they reached the SIEM');
      }
      await conn.write(Buffer.concat(events.map((e) => frame(syslogMessage(e, header)))));
      // A resend still owed survives a write that fails: it is forgotten once written.
      resendAfter.delete(organizationId);
      const last = events[events.length - 1]!.seq;
      const now = Date.now();
      recent = recent.filter((r) => r.at >= now - RESEND_WINDOW_MS);
      recent.push({ organizationId, firstSeq: first, at: now });
      await advance(organizationId, last);
      const fresh = Number.isFinite(w.streamed) ? Math.max(0, last - Math.max(w.streamed, first - 1)) : 0;
      observe({ streamed: events.length });
      setBehind((left -= fresh));
      if (events.length === BATCH) {
        more = true;
        if (last < w.streamed) resendAfter.set(organizationId, last);
      }
    }
    return more;
  }

  async function run(): Promise<void> {
    let retryMs = FIRST_RETRY_MS;
    let failing = false;
    while (!stopped) {
      try {
        if (!(await claim())) {
          streaming = false;
          drop();
          await sleep(options.pollMs, false);
          continue;
        }
        streaming = true;
        const conn = connection?.open ? connection : await connect();
        const more = await pass(conn);
        retryMs = FIRST_RETRY_MS;
        failing = false;
        lastError = null;
        if (!more) await sleep(options.pollMs, true);
      } catch (error) {
        if (stopped) break;
        if (error instanceof LeaseLost) {
          streaming = false;
          drop();
          continue;
        }
        lastError = error instanceof Error ? error.message : String(error);
        if (!failing) logger.warn({ err: error }, 'the SIEM stream is interrupted; retrying from its cursor');
        failing = true;
        await sleep(retryMs, false);
        retryMs = Math.min(retryMs * 2, options.retryMaxMs);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = run();
      options
        .listen?.(wake)
        .then((off) => {
          if (stopped) off();
          else unlisten = off;
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'the SIEM streamer cannot hear chainings; it polls'));
    },
    async stop() {
      stopped = true;
      unlisten?.();
      interrupt?.();
      // A pass under way finishes, unless the collector holds it up: then its connection is cut.
      const cut = setTimeout(() => connection?.destroy(), 2_000);
      await running;
      clearTimeout(cut);
      drop();
      if (running) await db.query('select aim_siem_release($1)', [holder]).catch(() => undefined);
    },
    status: () => ({ streaming, connected: connection?.open ?? false, behind, lastError }),
  };
}
