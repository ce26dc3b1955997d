import { createHash } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { STATUS_CODES } from 'node:http';
import { request, type Dispatcher } from 'undici';
import type { OutboundGuard } from '../../../platform/net/outbound-guard.js';
import { ScanFailure } from './scan-failure.js';

/**
 * The HTTP side of one scan, built on the outbound guard: every URL passes `check`, every connection
 * the guard's lookup (no private or loopback address unless the deployment allows them), redirects are
 * never followed, each answer and the whole scan are capped in bytes, and everything stops when the
 * scan's signal aborts. Connections come from the scanner's pool (`createScanPool`).
 */
export interface ScanHttp {
  /** For the MCP SDK's StreamableHTTPClientTransport (`fetch` option). */
  fetch: (input: string | URL, init?: RequestInit) => Promise<Response>;
  /** GET a small document (the server card): its text, or null when absent (4xx, a redirect, or a failure). */
  getDocument(url: URL, accept: string, maxBytes: number, signal: AbortSignal): Promise<string | null>;
}

export interface ScanHttpOptions {
  guard: Pick<OutboundGuard, 'check'>;
  pool: ScanPool;
  signal: AbortSignal;
  /** Ends the scan with this failure (aborts `signal`): for failures found while a body streams. */
  fail(failure: ScanFailure): void;
  maxResponseBytes: number;
  maxScanBytes: number;
}

const NO_BODY = new Set([101, 204, 205, 304]);
const ANSWER_DROPPED = new Error('the rest of the answer is not read');

const headerOf = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Which JSON-RPC method a POST carries, for messages ("to initialize"). */
function describeBody(body: unknown): string {
  if (typeof body !== 'string') return 'the request';
  try {
    const message = JSON.parse(body) as { method?: unknown };
    return typeof message.method === 'string' ? message.method : 'the request';
  } catch {
    return 'the request';
  }
}

/**
 * The scanner's connection pool, shared by its scans: keep-alive connections (a few seconds) are reused
 * by the next scan of the same origin (a rescan, or many servers behind one gateway), and every new
 * connection passes the guard's lookup. The certificate of each TLS connection is recorded by host name
 * as its handshake checks it; a scan reports the one of the latest connection to its host.
 */
export interface ScanPool {
  agent: Dispatcher;
  certificateSha256(host: string): string | null;
  close(): Promise<void>;
}

/** At most this many hosts' certificates are remembered (the oldest is forgotten first). */
const CERTIFICATES_KEPT = 10_000;

export function createScanPool(options: { guard: Pick<OutboundGuard, 'createAgent'>; timeoutMs: number; ca?: readonly string[] | undefined }): ScanPool {
  const certificates = new Map<string, string>();
  const agent = options.guard.createAgent({
    timeoutMs: options.timeoutMs,
    connectionsPerOrigin: 32,
    tls: {
      ...(options.ca ? { ca: [...options.ca] } : {}),
      checkServerIdentity(host: string, cert: PeerCertificate) {
        const error = checkServerIdentity(host, cert);
        if (!error && cert.raw) {
          certificates.delete(host);
          certificates.set(host, createHash('sha256').update(cert.raw).digest('hex'));
          if (certificates.size > CERTIFICATES_KEPT) certificates.delete(certificates.keys().next().value!);
        }
        return error;
      },
    },
  });
  return { agent, certificateSha256: (host) => certificates.get(host) ?? null, close: () => agent.close() };
}

export function createScanHttp(options: ScanHttpOptions): ScanHttp {
  let scanBytes = 0;
  const agent = options.pool.agent;

  /**
   * A response body as the MCP SDK reads it (a web stream), counted against the answer's and the scan's
   * caps as it is read; past either, the scan fails as too_large.
   */
  function capped(body: Dispatcher.ResponseData['body'], what: string, max: number, failsScan: boolean): ReadableStream<Uint8Array> {
    let seen = 0;
    const chunks = body[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = (await chunks.next()) as IteratorResult<Buffer>;
        if (done) return controller.close();
        seen += value.byteLength;
        scanBytes += value.byteLength;
        const failure =
          seen > max
            ? new ScanFailure('too_large', `The answer to ${what} is larger than ${max} bytes, the most AIM reads in one answer.`)
            : scanBytes > options.maxScanBytes
              ? new ScanFailure('too_large', `The server's answers add up to more than ${options.maxScanBytes} bytes, the most AIM reads in one scan.`)
              : null;
        if (!failure) return controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        if (failsScan) options.fail(failure);
        body.destroy();
        controller.error(failure);
      },
      cancel() {
        // The SDK stops reading an answer once it has its message: the rest is dropped (with one shared
        // error, not a new one with a stack trace per answer).
        body.on('error', () => undefined).destroy(ANSWER_DROPPED);
      },
    });
  }

  /**
   * One request through the scan's pool with undici's dispatcher API (a fraction of fetch's cost per
   * request), answered as a fetch Response for the MCP SDK's transport.
   */
  async function send(input: string | URL, init: RequestInit | undefined, what: string, max: number, failsScan = true): Promise<Response> {
    const url = options.guard.check(typeof input === 'string' || input instanceof URL ? input : (input as Request).url);
    const signal = init?.signal ? AbortSignal.any([init.signal, options.signal]) : options.signal;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const response = await request(url, {
      method: (init?.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers,
      body: typeof init?.body === 'string' ? init.body : null,
      signal,
      dispatcher: agent,
      maxRedirections: 0,
    } as never);
    const drop = () => response.body.on('error', () => undefined).destroy();
    if (response.statusCode >= 300 && response.statusCode < 400) {
      drop();
      const location = headerOf(response.headers, 'location');
      throw new ScanFailure(
        'redirect_refused',
        `The server answered ${what} with a redirect (HTTP ${response.statusCode}${location ? ` to ${location.slice(0, 200)}` : ''}); AIM never follows redirects, which could lead to internal addresses. Register the final URL of the endpoint.`,
      );
    }
    const declared = Number(headerOf(response.headers, 'content-length') ?? 0);
    if (declared > max) {
      drop();
      throw new ScanFailure('too_large', `The answer to ${what} is ${declared} bytes, more than the ${max} AIM reads in one answer.`);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
      else if (value !== undefined) responseHeaders.set(name, value);
    }
    const noBody = NO_BODY.has(response.statusCode);
    if (noBody) drop();
    const body = noBody ? null : capped(response.body, what, max, failsScan);
    return new Response(body, { status: response.statusCode, statusText: STATUS_CODES[response.statusCode] ?? '', headers: responseHeaders });
  }

  return {
    async fetch(input, init) {
      const method = (init?.method ?? 'GET').toUpperCase();
      // The scan needs no messages from the server outside its answers: the SDK's optional GET stream is
      // answered here as a server without one would (405), and never opened.
      if (method === 'GET') return new Response(null, { status: 405, statusText: 'Method Not Allowed' });
      const what = method === 'POST' ? describeBody(init?.body) : `${method} (session end)`;
      const response = await send(input, init, what, options.maxResponseBytes);
      if (method === 'POST' && response.status >= 400) {
        await response.body?.cancel().catch(() => undefined);
        const hint = response.status === 401 || response.status === 403 ? ' AIM scans without credentials: the endpoint must list its tools to an anonymous client.' : '';
        throw new ScanFailure('http_error', `The server answered ${what} with HTTP ${response.status} ${response.statusText}.${hint}`.trim());
      }
      return response;
    },

    async getDocument(url, accept, maxBytes, signal) {
      // undici's request, not fetch: a small GET on every scan, at a fraction of fetch's cost.
      try {
        const checked = options.guard.check(url);
        const response = await request(checked, { method: 'GET', headers: { accept }, signal: AbortSignal.any([signal, options.signal]), dispatcher: agent, maxRedirections: 0 } as never);
        // Dropping a body it will not read: the stream's abort error is expected, and ignored.
        const drop = () => void response.body.on('error', () => undefined).destroy();
        if (response.statusCode < 200 || response.statusCode >= 300 || Number(response.headers['content-length'] ?? 0) > maxBytes) {
          await response.body.dump({ limit: 4096 }).catch(() => undefined);
          return null;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of response.body) {
          size += (chunk as Buffer).byteLength;
          if (size > maxBytes) {
            drop();
            return null;
          }
          chunks.push(chunk as Buffer);
        }
        return Buffer.concat(chunks).toString('utf8');
      } catch {
        return null;
      }
    },

  };
}
