import createClient from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The dashboard's API client, typed by the OpenAPI contract (docs/openapi.json → schema.d.ts, generated at
 * build): no hand-written copies of response types. Same origin, session cookies; changes carry the
 * session's CSRF token; an expired access cookie is refreshed once and the request retried.
 */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A request that never reached AIM answers like one AIM refused, so every page shows it the same way. */
function unreachable(): Response {
  const body = { error: { code: 'network_error', message: 'AIM could not be reached. Check your connection and try again.' } };
  return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json' } });
}

async function send(request: Request): Promise<Response> {
  const attempt = (req: Request) => {
    if (csrfToken && !SAFE.has(req.method)) req.headers.set('x-csrf-token', csrfToken);
    return fetch(req, { credentials: 'same-origin' }).catch(unreachable);
  };
  const retry = request.clone();
  const response = await attempt(request);
  if (response.status !== 401 || new URL(request.url).pathname.startsWith('/api/v1/auth/')) return response;
  const refreshed = await fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' }).catch(unreachable);
  return refreshed.ok ? attempt(retry) : response;
}

export const api = createClient<paths>({ baseUrl: '', fetch: send });

/** The error envelope every failed request answers with (docs/errors.md). */
export interface ApiError {
  error: { code: string; message: string; requestId?: string };
}

/**
 * A JSON request outside the typed client, for operations the OpenAPI document does not describe yet
 * (the webhooks and notification preferences of issue 17, built against `@aim/contracts`): the same
 * cookies, CSRF token and refresh as `api`, and the same `{ data, error }` answer. A 204 answers
 * `{ data: null }`. Once `npm run docs` lists these operations, callers move to `api` and this goes.
 */
export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<{ data?: T; error?: ApiError }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await send(new Request(new URL(path, window.location.origin), init));
  if (response.status === 204) return { data: null as T };
  const json = (await response.json().catch(() => undefined)) as unknown;
  if (!response.ok) return { error: (json as ApiError | undefined) ?? { error: { code: 'http_error', message: `AIM answered ${response.status}.` } } };
  return { data: json as T };
}

export function errorMessage(error: unknown): string {
  const e = error as Partial<ApiError> | undefined;
  return e?.error?.message ?? 'AIM could not be reached. Check your connection and try again.';
}
