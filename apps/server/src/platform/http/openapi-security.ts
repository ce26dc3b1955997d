import type { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { RouteAccess } from '../auth/authenticate.js';

/**
 * How each operation of the OpenAPI document is authenticated, derived in this one place from the
 * route's declared access (`config.access`), which is also what the route's gate enforces — so the
 * reference's "Authorize" sends the credentials the route takes, and a new route cannot forget it.
 * A public route that checks a credential of its own (the refresh cookie, the metrics token, the token
 * endpoint's signature) declares `schema.security` itself; a gated route may not.
 */
export const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'aim_access',
    description: 'A signed-in person (the dashboard): the session cookie. Changes also need the x-csrf-token header (cookie aim_csrf) and the AIM Origin.',
  },
  sessionRefresh: {
    type: 'apiKey',
    in: 'cookie',
    name: 'aim_refresh',
    description: 'The refresh cookie, sent by the browser to /api/v1/auth only; single use (each refresh issues the next).',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'aim_v1_…',
    description: 'An API key (Settings → API keys): Authorization: Bearer aim_v1_…. It acts with the weaker of its role and its creator’s current role.',
  },
  agentSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Signature',
    description:
      'An agent signing with its Ed25519 key: RFC 9421 HTTP Message Signatures (Signature and Signature-Input headers, ' +
      'Content-Digest for a body, RFC 9530). Computed per request by the SDK or a client; see docs/agent-identity.md §4.',
  },
  agentToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An agent token (POST /api/v1/oauth/token): Authorization: Bearer <JWT>, valid for minutes; see docs/agent-identity.md §5.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The token set in METRICS_TOKEN; without it, /metrics is open.',
  },
} as const;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;
export type SecurityRequirement = Partial<Record<SecuritySchemeName, string[]>>;

/** The security requirements (alternatives) of a route with this access; `[]` for a public one. */
export function securityFor(access: RouteAccess): SecurityRequirement[] {
  const agents: SecurityRequirement[] = [{ agentSignature: [] }, { agentToken: [] }];
  switch (access.auth) {
    case 'public':
      return [];
    case 'user':
      return [{ session: [] }];
    case 'agent':
      return agents;
    case 'org': {
      const people: SecurityRequirement[] = access.peopleOnly ? [{ session: [] }] : [{ session: [] }, { apiKey: [] }];
      return access.agents ? [...people, ...agents] : people;
    }
  }
}

/** Wraps the zod transform of @fastify/swagger: each operation gets the security its access calls for. */
export function withDeclaredSecurity(transform: typeof jsonSchemaTransform): typeof jsonSchemaTransform {
  return (input) => {
    const out = transform(input);
    const access = (input.route.config as { access?: RouteAccess } | undefined)?.access;
    const schema = out.schema as Record<string, unknown>;
    if (access && schema.security === undefined) out.schema = { ...schema, security: securityFor(access) };
    return out;
  };
}
