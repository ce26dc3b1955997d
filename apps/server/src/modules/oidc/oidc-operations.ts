import { ERROR_CODES, identityProviderListSchema, oidcCallbackQuerySchema, oidcStartParamsSchema, oidcStartQuerySchema, redirectSchema, type ErrorCode } from '@aim/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { appendCookie, expireCookie, readCookie, setSessionCookies } from '../../platform/auth/cookies.js';
import type { PublicOrigin } from '../../platform/config/public-origin.js';
import { AppError } from '../../platform/http/app-error.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { clientNetwork } from '../../platform/http/rate-limit.js';
import type { IdentityProviders } from './identity-providers.js';
import type { OidcService } from './oidc-service.js';

export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';
const OIDC_START_PATH = '/api/v1/auth/oidc/:providerId/start';
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

export interface OidcFeatureDeps {
  oidc: OidcService;
  identityProviders: IdentityProviders;
  /** AIM's public address: the redirect URI the provider sends the browser back to, read per request. */
  publicOrigin: Pick<PublicOrigin, 'baseUrl'>;
  /** Counts a sign-in attempt under `key`; 429 once over the limit (rate-limit.ts). */
  limitSignIn: (key: string) => Promise<void>;
  /** Session (and sign-in binding) cookies are Secure (PUBLIC_URL is https). */
  secureCookies: boolean;
}

/** Signing in with an identity provider (OpenID Connect): the providers offered, the start and the callback. */
export function oidcFeature({ oidc, identityProviders, publicOrigin, limitSignIn, secureCookies }: OidcFeatureDeps): Feature {
  const perClient = (request: FastifyRequest) => limitSignIn(`ip:${clientNetwork(request.ip)}`);

  /** Browser navigations: they open at AIM's public origin (`page`) and end on a page even when refused (`errorHandler`). */
  const signInPages = [
    defineOperation({
      method: 'GET',
      path: OIDC_START_PATH,
      tag: 'auth',
      summary: 'Start signing in with an identity provider (redirects to it)',
      description:
        'providerId is google, microsoft, okta, oidc (the deployment’s) or an organization’s idp_… id. A browser navigation: a refusal ' +
        '(an unknown provider, an unusable invitation, a provider that cannot be reached) redirects (303) to /sign-in/?error=<code>&requestId=<id>, with the error code the API uses.',
      // A browser navigation: it starts at AIM's public origin, where the callback will bind it.
      access: { auth: 'public' },
      page: true,
      // Every refusal, validation and rate limits included, ends on the sign-in page.
      errorHandler: toSignInPage,
      params: oidcStartParamsSchema,
      query: oidcStartQuerySchema,
      responses: { 302: redirectSchema, 303: redirectSchema },
      handle: async ({ params, query, request, reply }) => {
        await perClient(request);
        const { url, binding } = await oidc.start(params.providerId, {
          redirectUri: `${publicOrigin.baseUrl}${OIDC_CALLBACK_PATH}`,
          returnTo: query.returnTo,
          invitation: query.invitation,
        });
        appendCookie(reply, OIDC_COOKIE, binding, {
          httpOnly: true,
          sameSite: 'lax',
          secure: secureCookies,
          path: '/api/v1/auth/oidc',
          maxAge: 600,
        });
        return reply.redirect(url.href, 302);
      },
    }),

    defineOperation({
      method: 'GET',
      path: OIDC_CALLBACK_PATH,
      tag: 'auth',
      summary: 'Where the identity provider sends the browser back; signs in and redirects',
      description:
        'Signed in: 302 to where the sign-in was started for. Not signed in (no invitation, another address than the invitation’s, a used or ' +
        'expired state, an error from the provider…): 303 to /sign-in/?error=<code>&requestId=<id>, with the error code the API uses.',
      // The provider sends the browser back to the public origin (the redirect URI), where its binding cookie lives.
      access: { auth: 'public' },
      page: true,
      // Every refusal, validation and rate limits included, ends on the sign-in page.
      errorHandler: toSignInPage,
      query: oidcCallbackQuerySchema,
      responses: { 302: redirectSchema, 303: redirectSchema },
      handle: async ({ ctx, query, request, reply }) => {
        expireCookie(reply, OIDC_COOKIE, { path: '/api/v1/auth/oidc', httpOnly: true, sameSite: 'lax' });
        await perClient(request);
        const signedIn = await oidc.callback(ctx, query as Record<string, string | undefined>, readCookie(request, OIDC_COOKIE));
        setSessionCookies(reply, signedIn.session, secureCookies);
        return reply.redirect(signedIn.returnTo, 302);
      },
    }),
  ];

  return {
    name: 'oidc',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/auth/providers',
        tag: 'auth',
        summary: 'Identity providers configured for this deployment',
        access: { auth: 'public' },
        responses: { 200: identityProviderListSchema },
        handle: () => ({
          providers: identityProviders.deploymentProviders().map((p) => ({ ...p, startUrl: `/api/v1/auth/oidc/${p.id}/start` })),
        }),
      }),
      ...signInPages,
    ],
  };
}
