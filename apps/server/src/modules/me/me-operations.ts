import { meSchema, okSchema, sessionListSchema, sessionParamsSchema, switchOrganizationSchema, type Role } from '@aim/contracts';
import type { FastifyRequest } from 'fastify';
import { clearSessionCookies, readCookie, REFRESH_COOKIE, setSessionCookies } from '../../platform/auth/cookies.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { SessionService } from '../sessions/index.js';
import type { MeService } from './me-service.js';

export interface MeFeatureDeps {
  me: MeService;
  sessions: SessionService;
  /** The person's role in an organization, as the gate reads it (access-cache.ts). */
  membershipRole: (organizationId: string, userId: string) => Promise<Role | null>;
  /** Session cookies are Secure (PUBLIC_URL is https). */
  secureCookies: boolean;
  /** Whether a request's Origin may send cookie-authenticated changes (authenticate.ts, originCheck). */
  isAllowedOrigin: (request: FastifyRequest) => boolean;
}

/** The signed-in person: profile, organizations, sessions; refresh and sign-out. */
export function meFeature({ me, sessions, membershipRole, secureCookies, isAllowedOrigin }: MeFeatureDeps): Feature {
  return {
    name: 'me',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/me',
        tag: 'me',
        summary: 'Who you are, your organizations, and the CSRF token of your session',
        access: { auth: 'user' },
        responses: { 200: meSchema },
        handle: ({ ctx }) => me.profile(ctx),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/me/organization',
        tag: 'me',
        summary: 'Act for another of your organizations',
        access: { auth: 'user' },
        body: switchOrganizationSchema,
        responses: { 200: meSchema },
        handle: async ({ ctx, body, request }) => {
          await sessions.switchOrganization(ctx, body.organizationId);
          // The request's principal still carries the old organization; read it afresh.
          const role = await membershipRole(body.organizationId, ctx.userId);
          request.principal = { ...request.principal!, organizationId: body.organizationId, role };
          return me.profile({ ...ctx, organizationId: body.organizationId, role });
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/me/sessions',
        tag: 'me',
        summary: 'Your open sessions',
        access: { auth: 'user' },
        responses: { 200: sessionListSchema },
        handle: async ({ ctx }) => {
          const rows = await sessions.listActive(ctx.userId);
          return {
            sessions: rows.map((s) => ({
              id: s.id,
              current: s.id === ctx.sessionId,
              authMethod: s.auth_method,
              userAgent: s.user_agent,
              clientIp: s.client_ip,
              createdAt: s.created_at.toISOString(),
              lastSeenAt: s.last_seen_at.toISOString(),
              expiresAt: s.expires_at.toISOString(),
            })),
          };
        },
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/me/sessions/:sessionId',
        tag: 'me',
        summary: 'End one of your sessions',
        access: { auth: 'user' },
        params: sessionParamsSchema,
        responses: { 200: okSchema },
        handle: async ({ ctx, params }) => {
          const revoked = await sessions.revoke(ctx, ctx.userId, { ids: [params.sessionId] }, 'revoked_by_user');
          if (revoked.length === 0) throw notFound('The session');
          return { ok: true as const };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/auth/sign-out',
        tag: 'auth',
        summary: 'End this session',
        access: { auth: 'user' },
        responses: { 200: okSchema },
        handle: async ({ ctx, reply }) => {
          await sessions.revoke(ctx, ctx.userId, { ids: [ctx.sessionId!] }, 'sign_out');
          clearSessionCookies(reply, secureCookies);
          return { ok: true as const };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/auth/refresh',
        tag: 'auth',
        summary: 'Exchange the refresh cookie for new session cookies (the refresh token rotates)',
        access: { auth: 'public' },
        security: [{ sessionRefresh: [] }],
        responses: { 200: okSchema },
        handle: async ({ ctx, request, reply }) => {
          // Browsers send Origin on every POST; a missing one means a client we cannot vouch for.
          if (!isAllowedOrigin(request)) {
            throw new AppError('csrf_failed', 'Refresh must come from the AIM origin (Origin header).');
          }
          const token = readCookie(request, REFRESH_COOKIE);
          if (!token) throw new AppError('unauthenticated', 'There is no refresh cookie; sign in.');
          try {
            setSessionCookies(reply, await sessions.refresh(ctx, token), secureCookies);
          } catch (error) {
            clearSessionCookies(reply, secureCookies);
            throw error;
          }
          return { ok: true as const };
        },
      }),
    ],
  };
}
