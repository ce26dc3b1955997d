import { PERMISSIONS, meSchema, okSchema, sessionListSchema, sessionParamsSchema, switchOrganizationSchema } from '@aim/contracts';
import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { csrfTokenFor, originCheck } from '../../platform/auth/authenticate.js';
import { isHttps } from '../../platform/config/env.js';
import { clearSessionCookies, readCookie, REFRESH_COOKIE, setSessionCookies } from '../../platform/auth/cookies.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import { requestContext } from '../../platform/http/request-context.js';
import { can } from '../access/index.js';
import type { Services } from '../services.js';

/** The signed-in person: profile, organizations, sessions; refresh and sign-out. */
export function registerMeRoutes(app: AppInstance, services: Services, platform: Platform): void {
  const { users, sessions } = services;
  const secure = isHttps(platform.config);
  const isAllowedOrigin = originCheck(platform.publicOrigin, platform.config.corsOrigins);

  const me = async (request: FastifyRequest) => {
    const ctx = requestContext(request);
    const userId = ctx.userId!;
    const { user, memberships } = await platform.db.transaction({ organizationId: null }, async (tx) => {
      const user = await users.get(tx, userId);
      const { rows } = await tx.query<{ organization_id: string; name: string; role: 'admin' | 'manager' | 'member' | 'viewer' }>(
        'select organization_id, name, role from aim_user_organizations($1)',
        [userId],
      );
      return { user, memberships: rows };
    });
    if (!user) throw new AppError('invalid_token', 'Your account no longer exists.');
    const current = memberships.find((m) => m.organization_id === ctx.organizationId) ?? null;
    return {
      user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() },
      organization: current ? { id: current.organization_id, name: current.name } : null,
      role: current ? current.role : null,
      permissions: current ? PERMISSIONS.filter((p) => can(current.role, p)) : [],
      memberships: memberships.map((m) => ({ organization: { id: m.organization_id, name: m.name }, role: m.role })),
      sessionId: ctx.sessionId!,
      csrfToken: csrfTokenFor(platform.keyring, ctx.sessionId!),
    };
  };

  app.get(
    '/api/v1/me',
    {
      schema: { tags: ['me'], summary: 'Who you are, your organizations, and the CSRF token of your session', response: { 200: meSchema } },
      config: { access: { auth: 'user' } },
    },
    async (request) => me(request),
  );

  app.post(
    '/api/v1/me/organization',
    {
      schema: { tags: ['me'], summary: 'Act for another of your organizations', body: switchOrganizationSchema, response: { 200: meSchema } },
      config: { access: { auth: 'user' } },
    },
    async (request) => {
      await sessions.switchOrganization(requestContext(request), request.body.organizationId);
      // The request's principal still carries the old organization; read it afresh.
      const role = await platform.accessCache.membershipRole(request.body.organizationId, request.principal!.userId!);
      request.principal = { ...request.principal!, organizationId: request.body.organizationId, role };
      return me(request);
    },
  );

  app.get(
    '/api/v1/me/sessions',
    {
      schema: { tags: ['me'], summary: 'Your open sessions', response: { 200: sessionListSchema } },
      config: { access: { auth: 'user' } },
    },
    async (request) => {
      const ctx = requestContext(request);
      const rows = await sessions.listActive(ctx.userId!);
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
  );

  app.delete(
    '/api/v1/me/sessions/:sessionId',
    {
      schema: { tags: ['me'], summary: 'End one of your sessions', params: sessionParamsSchema, response: { 200: okSchema } },
      config: { access: { auth: 'user' } },
    },
    async (request) => {
      const ctx = requestContext(request);
      const revoked = await sessions.revoke(ctx, ctx.userId!, { ids: [request.params.sessionId] }, 'revoked_by_user');
      if (revoked.length === 0) throw notFound('The session');
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/auth/sign-out',
    {
      schema: { tags: ['auth'], summary: 'End this session', response: { 200: okSchema } },
      config: { access: { auth: 'user' } },
    },
    async (request, reply) => {
      const ctx = requestContext(request);
      await sessions.revoke(ctx, ctx.userId!, { ids: [ctx.sessionId!] }, 'sign_out');
      clearSessionCookies(reply, secure);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange the refresh cookie for new session cookies (the refresh token rotates)',
        security: [{ sessionRefresh: [] }],
        response: { 200: okSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (request, reply) => {
      // Browsers send Origin on every POST; a missing one means a client we cannot vouch for.
      if (!isAllowedOrigin(request)) {
        throw new AppError('csrf_failed', 'Refresh must come from the AIM origin (Origin header).');
      }
      const token = readCookie(request, REFRESH_COOKIE);
      if (!token) throw new AppError('unauthenticated', 'There is no refresh cookie; sign in.');
      try {
        setSessionCookies(reply, await sessions.refresh(requestContext(request), token), secure);
      } catch (error) {
        clearSessionCookies(reply, secure);
        throw error;
      }
      return { ok: true as const };
    },
  );
}
