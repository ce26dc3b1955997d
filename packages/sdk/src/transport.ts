import type { KeyObject } from 'node:crypto';
import { AimError, errorFromResponse } from './errors.js';
import { signRequest } from './signing.js';

/**
 * The HTTP edge: resolving paths against AIM's address, turning bodies into the exact bytes that are
 * signed and sent, signing, and reading AIM's answers. Every exchange with AIM goes through here.
 */

/**
 * A request body the SDK can sign: its bytes are known before sending. Objects and arrays become JSON.
 *
 * @example
 * ```ts
 * const body: AimRequestBody = { name: 'x' }; // sent as {"name":"x"}, Content-Type application/json
 * ```
 */
export type AimRequestBody = string | Uint8Array | ArrayBuffer | URLSearchParams | Record<string, unknown> | readonly unknown[] | null;

/**
 * `fetch`'s options, with a body the SDK can sign.
 *
 * @example
 * ```ts
 * const init: AimRequestInit = { method: 'POST', body: { name: 'x' }, signal: AbortSignal.timeout(5000) };
 * await agent.fetch('/api/v1/things', init);
 * ```
 */
export type AimRequestInit = Omit<RequestInit, 'body'> & { body?: AimRequestBody };

export interface Transport {
  /** AIM's address, normalized: origin plus path prefix, no trailing slash. */
  baseUrl: string;
  fetch: typeof fetch;
}

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/**
 * Normalize AIM's address: an http(s) URL without credentials, query or fragment; the default port
 * and any trailing slash dropped.
 */
export function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new AimError('invalid_argument', 'baseUrl must be an absolute http(s) URL, e.g. https://aim.example.com.');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new AimError('invalid_argument', 'baseUrl must be an http(s) URL without credentials, query or fragment.');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Resolve `/api/v1/…` against AIM's address; an absolute http(s) URL is taken as it is. */
export function resolveUrl(baseUrl: string, input: string | URL): URL {
  let url: URL;
  if (input instanceof URL) url = new URL(input.href);
  else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(input)) url = new URL(input);
  else if (input.startsWith('/') && !input.startsWith('//')) url = new URL(`${baseUrl}${input}`);
  else throw new AimError('invalid_argument', 'A request path must start with "/" (or be an absolute http(s) URL).');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AimError('invalid_argument', 'Only http(s) URLs can be requested.');
  return url;
}

/** Whether a URL is on AIM (same origin and under its path prefix), where its tokens may be sent. */
export function isUnderBaseUrl(baseUrl: string, url: URL): boolean {
  const base = new URL(baseUrl);
  return url.origin === base.origin && (base.pathname === '/' || url.pathname === base.pathname || url.pathname.startsWith(`${base.pathname}/`));
}

/**
 * The exact bytes of a body, and the Content-Type to send with it when the caller gave none.
 * Streams, Blobs and FormData are refused: their bytes are not known before sending.
 */
export function encodeBody(body: AimRequestBody | undefined): { bytes?: Uint8Array; contentType?: string } {
  if (body === undefined || body === null) return {};
  if (typeof body === 'string') return { bytes: Buffer.from(body, 'utf8'), contentType: 'text/plain;charset=UTF-8' };
  if (body instanceof Uint8Array) return { bytes: body };
  if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body) };
  if (body instanceof URLSearchParams) {
    return { bytes: Buffer.from(body.toString(), 'utf8'), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (Array.isArray(body) || isPlainObject(body)) {
    return { bytes: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' };
  }
  throw new AimError('unsupported_body', 'A signed request needs its body up front: a string, bytes, URLSearchParams, or a plain object or array (sent as JSON).');
}

/** Send a request signed with `key` (docs/agent-identity.md §4). */
export async function sendSigned(transport: Transport, key: SigningKey, input: string | URL, init: AimRequestInit = {}): Promise<Response> {
  const url = resolveUrl(transport.baseUrl, input);
  const method = (init.method ?? 'GET').toUpperCase();
  const { bytes, contentType } = encodeBody(init.body);
  const headers = new Headers(init.headers);
  if (contentType && !headers.has('content-type')) headers.set('content-type', contentType);
  const signature = signRequest({ method, url, body: bytes ?? null, keyId: key.keyId, privateKey: key.privateKey });
  for (const [name, value] of Object.entries(signature)) headers.set(name, value);
  return send(transport, url, { ...init, method, headers, body: bytes ?? null });
}

/** Send a request with no agent credentials (challenges, enrollment) or with a bearer token set by the caller. */
export async function sendPlain(transport: Transport, input: string | URL, init: AimRequestInit = {}): Promise<Response> {
  const url = resolveUrl(transport.baseUrl, input);
  const { bytes, contentType } = encodeBody(init.body);
  const headers = new Headers(init.headers);
  if (contentType && !headers.has('content-type')) headers.set('content-type', contentType);
  return send(transport, url, { ...init, method: (init.method ?? 'GET').toUpperCase(), headers, body: bytes ?? null });
}

/** AIM's JSON answer, or the AimError its error envelope describes. A 204 or empty body gives undefined. */
export async function readJson<T>(response: Response): Promise<T> {
  if (!response.ok) throw await errorFromResponse(response);
  const text = await response.text().catch((cause: unknown) => {
    throw new AimError('network_error', 'The connection to AIM broke while reading its answer.', { status: response.status, cause });
  });
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new AimError('invalid_response', `AIM answered HTTP ${response.status} with a body that is not JSON.`, { status: response.status });
  }
}

async function send(transport: Transport, url: URL, init: RequestInit): Promise<Response> {
  try {
    return await transport.fetch(url, init);
  } catch (cause) {
    const reason = describeNetworkError(cause);
    throw new AimError('network_error', `Could not reach ${url.origin}: ${reason}.`, { cause });
  }
}

function describeNetworkError(error: unknown): string {
  const inner = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof inner?.code === 'string') return inner.code;
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  if (typeof inner?.message === 'string') return inner.message;
  return error instanceof Error ? error.message : 'unknown error';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
