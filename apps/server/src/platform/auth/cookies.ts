import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { isHttps } from '../config/env.js';

/**
 * The session cookies. The access token and the refresh token are HttpOnly; the refresh token is
 * only sent to the refresh endpoint. The CSRF token is readable by the page, which echoes it in
 * the `x-csrf-token` header of every unsafe request.
 */
export const ACCESS_COOKIE = 'aim_access';
export const REFRESH_COOKIE = 'aim_refresh';
export const CSRF_COOKIE = 'aim_csrf';
export const REFRESH_PATH = '/api/v1/auth';

export interface SessionCookies {
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  refreshExpiresAt: Date;
  csrfToken: string;
}

export interface CookieOptions {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'lax' | 'strict';
  path?: string;
  expires?: Date;
  maxAge?: number;
}

/**
 * Add a Set-Cookie header (serialized by @fastify/cookie's serializer). Cookies are written
 * directly rather than through the plugin's per-request hooks, which would run on every request.
 */
export function appendCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const serialized = reply.server.serializeCookie(name, value, options);
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, serialized]);
}

export function expireCookie(reply: FastifyReply, name: string, options: CookieOptions): void {
  appendCookie(reply, name, '', { ...options, expires: new Date(0) });
}

export function setSessionCookies(reply: FastifyReply, cookies: SessionCookies, secure: boolean): void {
  const base = { sameSite: 'lax' as const, secure, path: '/' };
  appendCookie(reply, ACCESS_COOKIE, cookies.accessToken, { ...base, httpOnly: true, expires: cookies.accessExpiresAt });
  appendCookie(reply, REFRESH_COOKIE, cookies.refreshToken, { ...base, httpOnly: true, path: REFRESH_PATH, expires: cookies.refreshExpiresAt });
  appendCookie(reply, CSRF_COOKIE, cookies.csrfToken, { ...base, httpOnly: false, expires: cookies.refreshExpiresAt });
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  const base = { sameSite: 'lax' as const, secure };
  expireCookie(reply, ACCESS_COOKIE, { ...base, httpOnly: true, path: '/' });
  expireCookie(reply, REFRESH_COOKIE, { ...base, httpOnly: true, path: REFRESH_PATH });
  expireCookie(reply, CSRF_COOKIE, { ...base, path: '/' });
}

/** Set session cookies with the deployment's Secure setting (Secure when PUBLIC_URL is https). */
export function setCookiesFor(reply: FastifyReply, cookies: SessionCookies, config: { publicUrl: string | undefined }): void {
  setSessionCookies(reply, cookies, isHttps(config));
}

/**
 * One cookie of the request, parsed on demand. Cookies are not parsed for every request (most
 * API calls carry an API key, or nothing), only where a route reads one.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header || !header.includes(`${name}=`)) return undefined;
  return request.server.parseCookie(header)[name];
}
