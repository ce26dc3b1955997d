import {
  authorizationServerMetadataSchema,
  errorEnvelopeSchema,
  introspectionRequestSchema,
  introspectionResponseSchema,
  jwksSchema,
  tokenRequestSchema,
  tokenResponseSchema,
} from '@aim/contracts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { hasSignature } from '../../platform/auth/http-signatures.js';
import { AppError } from '../../platform/http/app-error.js';
import { requestContext } from '../../platform/http/request-context.js';
import { bodyText, refuseUnstorableBody } from '../../platform/http/input-guards.js';
import { authorize } from '../access/index.js';
import type { Services } from '../services.js';

/**
 * The agent token service (docs/agent-identity.md §5): the token endpoint (client credentials,
 * authenticated by a signed request or an RFC 7523 client assertion), RFC 7662 introspection,
 * the JWKS and RFC 8414 metadata. Every token issued is audited (agent-token-service.ts). The two POST endpoints also take form bodies, as OAuth clients
 * send them; only here.
 */
export function registerOAuthRoutes(app: AppInstance, { agentTokenIssuer: tokens }: Services, platform: Platform): void {
  const { agentAuth, agentTokens, agentTokenKeys } = platform;
  // Read at each request: AIM's public address is settled once the server listens (public-origin.ts).
  const issuer = () => agentTokens.issuer;
  const tokenEndpoint = () => `${issuer()}/api/v1/oauth/token`;

  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (request, body, done) => {
      request.rawBody = body as Buffer;
      try {
        const form = Object.fromEntries(new URLSearchParams(bodyText(body as Buffer)));
        refuseUnstorableBody(form);
        done(null, form);
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    scope.post(
      '/api/v1/oauth/token',
      {
        schema: {
          tags: ['agents'],
          summary: 'Exchange a signed request or a JWT client assertion for a short-lived agent token',
          // A signed request, or a client assertion in the body (no credential in a header).
          security: [{ agentSignature: [] }, {}],
          body: tokenRequestSchema,
          response: { 200: tokenResponseSchema, 401: errorEnvelopeSchema, 403: errorEnvelopeSchema },
        },
        config: { access: { auth: 'public' } },
      },
      async (request, reply) => {
        const body = request.body;
        const principal = hasSignature(request.headers)
          ? await agentAuth.fromSignature(request)
          : body.client_assertion !== undefined
            ? await (async () => {
                if (body.client_assertion_type === undefined) {
                  throw new AppError('validation_failed', 'client_assertion_type: must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.');
                }
                return agentAuth.fromClientAssertion(body.client_assertion!, [tokenEndpoint(), issuer()]);
              })()
            : null;
        if (!principal) {
          throw new AppError('unauthenticated', 'Sign the token request with the agent key, or send a client_assertion (docs/agent-identity.md §5a).');
        }
        const { key, agent } = principal;
        const issued = await tokens.issue(
          requestContext(request),
          {
            agentId: key.agentId,
            organizationId: agent.organizationId,
            keyId: key.keyId,
            status: agent.status,
            trustTier: agent.trustTier,
            keyExpiresAt: key.expiresAt,
            authenticatedBy: hasSignature(request.headers) ? 'signature' : 'client_assertion',
          },
          body.audience,
        );
        reply.header('cache-control', 'no-store');
        return { access_token: issued.token, token_type: 'Bearer' as const, expires_in: issued.expiresIn };
      },
    );

    scope.post(
      '/api/v1/oauth/introspect',
      {
        schema: {
          tags: ['agents'],
          summary: "RFC 7662 introspection of an agent token: live status of the agent and its key",
          body: introspectionRequestSchema,
          response: { 200: introspectionResponseSchema },
        },
        config: { access: { auth: 'org', permission: 'agent.read' } },
      },
      async (request) => {
        const ctx = requestContext(request);
        authorize(ctx, 'agent.read');
        const state = await agentAuth.tokenState(request.body.token, null);
        if (!state || state.claims.organizationId !== ctx.organizationId || state.agent.organizationId !== ctx.organizationId) {
          return { active: false };
        }
        const { claims, agent } = state;
        return {
          active: true,
          sub: claims.agentId,
          client_id: claims.agentId,
          org: claims.organizationId,
          iss: claims.issuer,
          aud: claims.audience,
          jti: claims.jti,
          iat: claims.issuedAt,
          exp: claims.expiresAt,
          token_type: 'Bearer' as const,
          status: agent.status,
          trust_tier: agent.trustTier,
          cnf: { jkt: claims.keyId },
        };
      },
    );
  });

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['agents'],
        summary: 'Public keys that sign agent tokens (JWK set; retired keys stay until their tokens expire)',
        response: { 200: jwksSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (_request, reply) => {
      await agentTokenKeys.current();
      reply.header('cache-control', 'public, max-age=300');
      return { keys: (await agentTokenKeys.publicJwks()) as Record<string, unknown>[] };
    },
  );

  app.get(
    '/.well-known/oauth-authorization-server',
    {
      schema: { tags: ['agents'], summary: 'RFC 8414 metadata of the agent token service', response: { 200: authorizationServerMetadataSchema } },
      config: { access: { auth: 'public' } },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=3600');
      return {
        issuer: issuer(),
        token_endpoint: tokenEndpoint(),
        introspection_endpoint: `${issuer()}/api/v1/oauth/introspect`,
        jwks_uri: `${issuer()}/.well-known/jwks.json`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt', 'http_message_signature'],
        token_endpoint_auth_signing_alg_values_supported: ['EdDSA'],
      };
    },
  );
}
