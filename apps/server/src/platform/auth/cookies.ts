import type { FastifyReply } from 'fastify';
import type {} from '@fastify/cookie';

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

export function setSessionCookies(reply: FastifyReply, cookies: SessionCookies, secure: boolean): void {
  const base = { sameSite: 'lax' as const, secure, path: '/' };
  reply.setCookie(ACCESS_COOKIE, cookies.accessToken, { ...base, httpOnly: true, expires: cookies.accessExpiresAt });
  reply.setCookie(REFRESH_COOKIE, cookies.refreshToken, {
    ...base,
    httpOnly: true,
    path: REFRESH_PATH,
    expires: cookies.refreshExpiresAt,
  });
  reply.setCookie(CSRF_COOKIE, cookies.csrfToken, { ...base, httpOnly: false, expires: cookies.refreshExpiresAt });
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  const base = { sameSite: 'lax' as const, secure };
  reply.clearCookie(ACCESS_COOKIE, { ...base, path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { ...base, path: REFRESH_PATH });
  reply.clearCookie(CSRF_COOKIE, { ...base, path: '/' });
}

/** Set session cookies with the deployment's Secure setting (Secure when PUBLIC_URL is https). */
export function setCookiesFor(reply: FastifyReply, cookies: SessionCookies, config: { publicUrl: string | undefined }): void {
  setSessionCookies(reply, cookies, config.publicUrl?.startsWith('https://') ?? false);
}
