import { request, type Dispatcher } from 'undici';
import { Webhook } from 'standardwebhooks';
import { WEBHOOK_ATTEMPT_ERRORS } from '@aim/contracts';
import { isRefusedByGuard, type OutboundGuard } from '../../../platform/net/outbound-guard.js';

/**
 * One delivery attempt (docs/webhooks.md): a POST of the event, signed per Standard Webhooks, through
 * the outbound guard (the address checked is the address connected; no redirects followed), within one
 * time limit for connecting, the answer and its body. At most READ_CAP bytes of the answer are read: a
 * bigger body is still judged by its status (the receiver has the event), and the rest is not read.
 */
export type AttemptErrorCode = (typeof WEBHOOK_ATTEMPT_ERRORS)[number];

export interface AttemptOutcome {
  ok: boolean;
  /** The HTTP status answered; null when none was. */
  statusCode: number | null;
  latencyMs: number;
  /** The first 1,000 characters of the answer body (null when there was none). */
  excerpt: string | null;
  errorCode: AttemptErrorCode | null;
  /** For people; null on success. */
  error: string | null;
}

/** The most of an answer's body read (the connection is reused when the body ends within it). */
export const READ_CAP = 64 * 1024;
export const EXCERPT_CHARS = 1000;

const TIMED_OUT = Symbol('timed out');

/** The Standard Webhooks headers: one `v1,<signature>` per secret, space-separated (new and previous during a rotation). */
export function signatureHeaders(eventId: string, payload: string, signers: readonly Webhook[], at: Date): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signers.map((s) => s.sign(eventId, at, payload)).join(' '),
  };
}

/** At most `max` characters (whole code points), without NUL (PostgreSQL text holds none). */
export function clip(text: string, max = EXCERPT_CHARS): string {
  const clean = text.replace(/\u0000/g, '');
  if (clean.length <= max) return clean;
  return Array.from(clean).slice(0, max).join('');
}

function codeOf(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return '';
}

function messageOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && message && !parts.includes(message)) parts.push(message);
  }
  return parts.join(': ') || String(error);
}

/** Why a request that got no (whole) answer failed, for machines and for people. */
export function classify(error: unknown, timeoutMs: number): { errorCode: AttemptErrorCode; error: string } {
  if (error === TIMED_OUT || (error as { cause?: unknown })?.cause === TIMED_OUT) {
    return { errorCode: 'timeout', error: `No complete answer within ${timeoutMs} ms.` };
  }
  const refused = isRefusedByGuard(error);
  if (refused) return { errorCode: 'refused_address', error: refused.message };
  const code = codeOf(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return { errorCode: 'timeout', error: `No complete answer within ${timeoutMs} ms.` };
  }
  if (/CERT|TLS|SSL|HOSTNAME|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    return { errorCode: 'tls', error: clip(`TLS failed (${code}): ${messageOf(error)}`) };
  }
  return { errorCode: 'connection', error: clip(`Could not connect or the connection broke${code ? ` (${code})` : ''}: ${messageOf(error)}`) };
}

export interface SenderOptions {
  guard: Pick<OutboundGuard, 'check' | 'createAgent'>;
  timeoutMs: number;
  userAgent: string;
  /** Connections kept per receiver origin (keep-alive); default: as many as asked for at once. */
  connectionsPerOrigin?: number;
}

export function createWebhookSender(options: SenderOptions) {
  const { timeoutMs } = options;
  const agent: Dispatcher = options.guard.createAgent({
    timeoutMs,
    ...(options.connectionsPerOrigin ? { connectionsPerOrigin: options.connectionsPerOrigin } : {}),
  });

  async function send(url: string, headers: Record<string, string>, body: string, stop?: AbortSignal): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.max(0, Math.round(performance.now() - started));
    const failure = (statusCode: number | null, excerpt: string | null, why: { errorCode: AttemptErrorCode; error: string }): AttemptOutcome => ({
      ok: false,
      statusCode,
      latencyMs: elapsed(),
      excerpt,
      ...why,
    });
    let target: URL;
    try {
      target = options.guard.check(url);
    } catch (error) {
      return failure(null, null, classify(error, timeoutMs));
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(TIMED_OUT), timeoutMs);
    const onStop = () => abort.abort(stop?.reason);
    stop?.addEventListener('abort', onStop, { once: true });
    let statusCode: number | null = null;
    try {
      const response = await request(target, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': options.userAgent },
        body,
        signal: abort.signal,
        dispatcher: agent,
      });
      statusCode = response.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const room = READ_CAP - size;
        chunks.push(chunk.byteLength > room ? chunk.subarray(0, room) : chunk);
        size += Math.min(chunk.byteLength, room);
        // Leaving the loop ends the body (and that connection): the rest is not read.
        if (size >= READ_CAP) break;
      }
      const text = size > 0 ? clip(Buffer.concat(chunks).toString('utf8')) : null;
      const latencyMs = elapsed();
      if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode, latencyMs, excerpt: text, errorCode: null, error: null };
      if (statusCode >= 300 && statusCode < 400) {
        const location = response.headers.location;
        const to = typeof location === 'string' ? ` to ${clip(location, 500)}` : '';
        return { ok: false, statusCode, latencyMs, excerpt: text, errorCode: 'redirect', error: `Answered ${statusCode}${to}; redirects are not followed.` };
      }
      return { ok: false, statusCode, latencyMs, excerpt: text, errorCode: 'http_status', error: `Answered ${statusCode}; only 2xx counts as delivered.` };
    } catch (error) {
      return failure(statusCode, null, classify(abort.signal.aborted && abort.signal.reason === TIMED_OUT ? TIMED_OUT : error, timeoutMs));
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
  }

  return { send, close: () => agent.close() };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
