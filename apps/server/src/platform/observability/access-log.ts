import { symbols, type Logger } from 'pino';

/**
 * The access log: one JSON line per request, in the same shape as every other log line
 * (level, time, service, …, msg), written straight to the logger's destination.
 *
 * Why not `logger.info(fields)`: this runs on every request, and pino's generic path (walking
 * the object, escaping each value, redaction) costs a few microseconds, a large share of a fast
 * request. The fields here are fixed and known to be safe (the request id is restricted to
 * [A-Za-z0-9._:-], the route is a registered pattern), so the line is assembled directly.
 * The logger's level still decides whether the line is written.
 *
 * Lines are gathered and handed to the destination once per event-loop turn: the destination
 * (sonic-boom) measures its whole pending buffer on every write, so one write per line costs
 * more than the line itself under load. Nothing waits longer than the current turn.
 */
export interface AccessLogEntry {
  requestId: string;
  method: string;
  /** The matched route pattern, never the raw URL (which can carry personal data). */
  route: string;
  status: number;
  ms: number;
}

export type AccessLog = (entry: AccessLogEntry) => void;

interface Stream {
  write(line: string): unknown;
}

export function createAccessLog(logger: Logger, service = 'aim-server'): AccessLog {
  const stream = (logger as unknown as Record<symbol, Stream>)[symbols.streamSym];
  if (!stream) throw new Error('the logger has no destination stream');
  const prefix = `,"service":${JSON.stringify(service)},"log":"access","requestId":`;
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const chunk = pending;
    pending = '';
    stream.write(chunk);
  };
  let lastMs = 0;
  let lastIso = '';
  const isoNow = () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    return lastIso;
  };
  return (entry) => {
    const failed = entry.status >= 500;
    if (!logger.isLevelEnabled(failed ? 'error' : 'info')) return;
    pending +=
      `{"level":"${failed ? 'error' : 'info'}","time":"${isoNow()}"${prefix}${JSON.stringify(entry.requestId)}` +
      `,"method":${JSON.stringify(entry.method)},"route":${JSON.stringify(entry.route)},"status":${entry.status}` +
      `,"ms":${Math.round(entry.ms * 1000) / 1000},"msg":"${failed ? 'request failed' : 'request'}"}\n`;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
