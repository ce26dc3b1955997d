import {
  authorizationServerMetadataSchema,
  errorEnvelopeSchema,
  introspectionRequestSchema,
  introspectionResponseSchema,
  jwksSchema,
  tokenRequestSchema,
  tokenResponseSchema,
} from '@aim/contracts';
import type { AgentAuthenticator } from '../../platform/auth/agent-auth.js';
import { hasSignature } from '../../platform/auth/http-signatures.js';
import type { SigningKeys } from '../../platform/auth/signing-keys.js';
import { AppError } from '../../platform/http/app-error.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { AgentTokenService } from './agent-token-service.js';

export interface OAuthFeatureDeps {
  tokens: AgentTokenService;
  agentAuth: Pick<AgentAuthenticator, 'fromSignature' | 'fromClientAssertion' | 'tokenState'>;
  /** The keys that sign agent tokens, published as the JWKS. */
  tokenKeys: Pick<SigningKeys, 'current' | 'publicJwks'>;
  /** The tokens' issuer: AIM's public address, settled once the server listens (public-origin.ts); read per request. */
  issuer: () => string;
}

/**
 * The agent token service (docs/agent-identity.md §5): the token endpoint (client credentials,
 * authenticated by a signed request or an RFC 7523 client assertion), RFC 7662 introspection,
 * the JWKS and RFC 8414 metadata. Every token issued is audited (agent-token-service.ts).
 */
export function oauthFeature({ tokens, agentAuth, tokenKeys, issuer }: OAuthFeatureDeps): Feature {
  const tokenEndpoint = () => `${issuer()}/api/v1/oauth/token`;

  /** The two POST endpoints, which also take form bodies (`forms`: OAuth clients send them). */
  const formOperations = [
    defineOperation({
      method: 'POST',
      path: '/api/v1/oauth/token',
      tag: 'agents',
      summary: 'Exchange a signed request or a JWT client assertion for a short-lived agent token',
      access: { auth: 'public' },
      forms: true,
      // A signed request, or a client assertion in the body (no credential in a header).
      security: [{ agentSignature: [] }, {}],
      body: tokenRequestSchema,
      responses: { 200: tokenResponseSchema, 401: errorEnvelopeSchema, 403: errorEnvelopeSchema },
      handle: async ({ ctx, body, request, reply }) => {
        const signed = hasSignature(request.headers);
        const principal = signed
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
          ctx,
          {
            agentId: key.agentId,
            organizationId: agent.organizationId,
            keyId: key.keyId,
            status: agent.status,
            trustTier: agent.trustTier,
            keyExpiresAt: key.expiresAt,
            authenticatedBy: signed ? 'signature' : 'client_assertion',
          },
          body.audience,
        );
        reply.header('cache-control', 'no-store');
        return { access_token: issued.token, token_type: 'Bearer' as const, expires_in: issued.expiresIn };
      },
    }),

    defineOperation({
      method: 'POST',
      path: '/api/v1/oauth/introspect',
      tag: 'agents',
      summary: 'RFC 7662 introspection of an agent token: live status of the agent and its key',
      access: { auth: 'org', permission: 'agent.read' },
      forms: true,
      body: introspectionRequestSchema,
      responses: { 200: introspectionResponseSchema },
      handle: async ({ ctx, body }) => {
        const state = await agentAuth.tokenState(body.token, null);
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
    }),
  ];

  return {
    name: 'oauth',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/.well-known/jwks.json',
        tag: 'agents',
        summary: 'Public keys that sign agent tokens (JWK set; retired keys stay until their tokens expire)',
        access: { auth: 'public' },
        responses: { 200: jwksSchema },
        handle: async ({ reply }) => {
          await tokenKeys.current();
          reply.header('cache-control', 'public, max-age=300');
          return { keys: (await tokenKeys.publicJwks()) as Record<string, unknown>[] };
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/.well-known/oauth-authorization-server',
        tag: 'agents',
        summary: 'RFC 8414 metadata of the agent token service',
        access: { auth: 'public' },
        responses: { 200: authorizationServerMetadataSchema },
        handle: ({ reply }) => {
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
      }),
      ...formOperations,
    ],
  };
}
