import { identityProviderListSchema, oidcCallbackQuerySchema, oidcStartParamsSchema, oidcStartQuerySchema, redirectSchema } from '@aim/contracts';
import { ERROR_CODES, type ErrorCode } from '@aim/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { appendCookie, expireCookie, readCookie, setCookiesFor } from '../../platform/auth/cookies.js';
import { isHttps } from '../../platform/config/env.js';
import { AppError } from '../../platform/http/app-error.js';
import { requestContext } from '../../platform/http/request-context.js';
import { clientNetwork, limitSignIn } from '../../platform/http/rate-limit.js';
import type { Services } from '../services.js';

export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** Binds a sign-in to the browser that started it (login CSRF). */
export const OIDC_COOKIE = 'aim_oidc';

/** Where a browser that could not be signed in ends: the dashboard's sign-in page, which explains the code. */
export const SIGN_IN_PAGE = '/sign-in/';

/**
 * The start and the callback are only ever reached by a browser's top-level navigation (their
 * answer is a redirect), so a failure there must end on a page, not on a JSON envelope: 303 to the
 * sign-in page with the same stable error code the API would have answered and the request id (for
 * support). Never the token, the provider's text or anything else from the request.
 */
function toSignInPage(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const code: ErrorCode = error instanceof AppError ? error.code : error.validation ? 'validation_failed' : 'internal_error';
  if (ERROR_CODES[code].status >= 500) request.log.error({ err: error }, `sign-in failed: ${code}`);
  else request.log.info({ code, message: error.message }, 'sign-in refused');
  const query = new URLSearchParams({ error: code, requestId: request.id });
  return reply.header('cache-control', 'no-store').redirect(`${SIGN_IN_PAGE}?${query}`, 303);
}

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
        description:
          'providerId is google, microsoft, okta, oidc (the deployment’s) or an organization’s idp_… id. A browser navigation: a refusal ' +
          '(an unknown provider, an unusable invitation, a provider that cannot be reached) redirects (303) to /sign-in/?error=<code>&requestId=<id>, with the error code the API uses.',
        params: oidcStartParamsSchema,
        querystring: oidcStartQuerySchema,
        response: { 302: redirectSchema, 303: redirectSchema },
      },
      errorHandler: toSignInPage,
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
        description:
          'Signed in: 302 to where the sign-in was started for. Not signed in (no invitation, another address than the invitation’s, a used or ' +
          'expired state, an error from the provider…): 303 to /sign-in/?error=<code>&requestId=<id>, with the error code the API uses.',
        querystring: oidcCallbackQuerySchema,
        response: { 302: redirectSchema, 303: redirectSchema },
      },
      errorHandler: toSignInPage,
      // The provider sends the browser back to the public origin (the redirect URI), where its binding cookie lives.
      config: { access: { auth: 'public' }, page: true },
    },
    async (request, reply) => {
      expireCookie(reply, OIDC_COOKIE, { path: '/api/v1/auth/oidc', httpOnly: true, sameSite: 'lax' });
      await perClient(request);
      const signedIn = await oidc.callback(requestContext(request), request.query as Record<string, string | undefined>, readCookie(request, OIDC_COOKIE));
      setCookiesFor(reply, signedIn.session, config);
      return reply.redirect(signedIn.returnTo, 302);
    },
  );
}
