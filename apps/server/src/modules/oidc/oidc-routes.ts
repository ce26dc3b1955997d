import { identityProviderListSchema, oidcCallbackQuerySchema, oidcStartParamsSchema, oidcStartQuerySchema, redirectSchema } from '@aim/contracts';
import type { FastifyRequest } from 'fastify';
import type { AppInstance, Platform } from '../../app.js';
import { appendCookie, expireCookie, readCookie, setCookiesFor } from '../../platform/auth/cookies.js';
import { isHttps } from '../../platform/config/env.js';
import { requestContext } from '../../platform/http/request-context.js';
import { clientNetwork, limitSignIn } from '../../platform/http/rate-limit.js';
import type { Services } from '../services.js';

export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** Binds a sign-in to the browser that started it (login CSRF). */
export const OIDC_COOKIE = 'aim_oidc';

export function registerOidcRoutes(app: AppInstance, { oidc, identityProviders }: Services, platform: Platform): void {
  const { config, store } = platform;
  const perClient = (request: FastifyRequest) => limitSignIn(store, `ip:${clientNetwork(request.ip)}`, config.rateLimit.signInMax);

  app.get(
    '/api/v1/auth/providers',
    {
      schema: { tags: ['auth'], summary: 'Identity providers configured for this deployment', response: { 200: identityProviderListSchema } },
      config: { access: { auth: 'public' } },
    },
    async () => ({
      providers: identityProviders.deploymentProviders().map((p) => ({ ...p, startUrl: `/api/v1/auth/oidc/${p.id}/start` })),
    }),
  );

  app.get(
    '/api/v1/auth/oidc/:providerId/start',
    {
      schema: {
        tags: ['auth'],
        summary: 'Start signing in with an identity provider (redirects to it)',
        description: 'providerId is google, microsoft, okta, oidc (the deployment’s) or an organization’s idp_… id.',
        params: oidcStartParamsSchema,
        querystring: oidcStartQuerySchema,
        response: { 302: redirectSchema },
      },
      // A browser navigation: it starts at AIM's public origin, where the callback will bind it.
      config: { access: { auth: 'public' }, page: true },
    },
    async (request, reply) => {
      await perClient(request);
      const { url, binding } = await oidc.start(request.params.providerId, {
        redirectUri: `${platform.publicOrigin.baseUrl}${OIDC_CALLBACK_PATH}`,
        returnTo: request.query.returnTo,
        invitation: request.query.invitation,
      });
      appendCookie(reply, OIDC_COOKIE, binding, {
        httpOnly: true,
        sameSite: 'lax',
        secure: isHttps(config),
        path: '/api/v1/auth/oidc',
        maxAge: 600,
      });
      return reply.redirect(url.href, 302);
    },
  );

  app.get(
    OIDC_CALLBACK_PATH,
    {
      schema: {
        tags: ['auth'],
        summary: 'Where the identity provider sends the browser back; signs in and redirects',
        querystring: oidcCallbackQuerySchema,
        response: { 302: redirectSchema },
      },
      // The provider sends the browser back to the public origin (the redirect URI), where its binding cookie lives.
      config: { access: { auth: 'public' }, page: true },
    },
    async (request, reply) => {
      await perClient(request);
      expireCookie(reply, OIDC_COOKIE, { path: '/api/v1/auth/oidc', httpOnly: true, sameSite: 'lax' });
      const signedIn = await oidc.callback(requestContext(request), request.query as Record<string, string | undefined>, readCookie(request, OIDC_COOKIE));
      setCookiesFor(reply, signedIn.session, config);
      return reply.redirect(signedIn.returnTo, 302);
    },
  );
}
