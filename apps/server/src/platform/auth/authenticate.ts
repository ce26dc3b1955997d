import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, roleAtLeast, type Permission } from '@aim/contracts';
import type { Keyring } from '../crypto/keyring.js';
import { safeEqual, sha256 } from '../crypto/tokens.js';
import { AppError } from '../http/app-error.js';
import type { Principal } from '../http/request-context.js';
import type { AccessCache } from './access-cache.js';
import type { AgentAuthenticator } from './agent-auth.js';
import { looksLikeJwt } from './agent-tokens.js';
import { hasSignature } from './http-signatures.js';
import { looksLikeApiKey } from './api-key-format.js';
import type { UsageCounter } from './usage-counter.js';
import type { PublicOrigin } from '../config/public-origin.js';
import { ACCESS_COOKIE, readCookie } from './cookies.js';
import { InvalidAccessTokenError, type SessionTokens } from './session-tokens.js';

/**
 * Who is calling, and may they call this route. Every route declares its access in its config:
 *
 *   public  — no credentials needed (health, metadata, sign-in steps);
 *   user    — a signed-in person (cookie session), with or without an organization chosen;
 *   org     — a session with an organization chosen, or an API key (bound to one organization);
 *             with `permission`, the caller's role there must grant it;
 *   agent   — an agent: a request signed with its key (RFC 9421), or an agent token. This gate
 *             runs once the body has been read (preValidation), so Content-Digest can be checked.
 *
 * API keys come as `Authorization: Bearer aim_v1_…`; sessions as the HttpOnly access cookie.
 * Cookie-authenticated changes (POST, PUT, PATCH, DELETE) must also come from an allowed Origin
 * and carry the session's CSRF token in `x-csrf-token`.
 */
export interface RouteAccess {
  auth: 'public' | 'user' | 'org' | 'agent';
  permission?: Permission;
  /** Only people (cookie sessions), not API keys: actions that mint credentials. */
  peopleOnly?: boolean;
  /**
   * An `org` route that agents may also call (signed or with their token): the service then decides
   * what the agent may see (its own records). People are checked against `permission` as usual.
   */
  agents?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export interface AuthenticatorDeps {
  cache: AccessCache;
  tokens: SessionTokens;
  usage: UsageCounter;
  keyring: Keyring;
  agents: AgentAuthenticator;
  /** Whether a request's Origin may send cookie-authenticated changes (`originCheck`). */
  isAllowedOrigin: (request: FastifyRequest) => boolean;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Origins allowed to send cookie-authenticated changes: AIM's public origin and CORS_ORIGINS. Never
 * one derived from the request's Host header, which the client chooses. A missing Origin is refused.
 */
export function originCheck(publicOrigin: Pick<PublicOrigin, 'origin'>, corsOrigins: readonly string[]): (request: FastifyRequest) => boolean {
  const cors = new Set(corsOrigins);
  return (request) => {
    const origin = request.headers.origin;
    return typeof origin === 'string' && (origin === publicOrigin.origin || cors.has(origin));
  };
}

export function csrfTokenFor(keyring: Keyring, sessionId: string): string {
  return keyring.lookupHash(`csrf:${sessionId}`).toString('base64url');
}

export function createAuthenticator(deps: AuthenticatorDeps) {
  const { cache, tokens, usage, keyring, agents } = deps;

  async function fromApiKey(raw: string): Promise<Principal> {
    if (!looksLikeApiKey(raw)) throw new AppError('invalid_token', 'The API key is malformed; it should look like aim_v1_….');
    const hash = sha256(raw);
    const key = await cache.apiKey(hash);
    if (!key || !safeEqual(Buffer.from(key.keyHash, 'hex'), hash) || key.revoked) {
      throw new AppError('invalid_token', 'The API key is unknown or has been revoked.');
    }
    if (key.expiresAt !== null && key.expiresAt <= Date.now()) {
      throw new AppError('expired_token', 'The API key has expired; create a new one.');
    }
    // A key never does more than the person who created it may do today.
    const creatorRole = await cache.membershipRole(key.organizationId, key.createdBy);
    if (!creatorRole) {
      throw new AppError('invalid_token', 'The person who created this API key is no longer a member of the organization.');
    }
    usage.record(key.organizationId, key.id);
    return {
      actor: { type: 'api_key', id: key.id },
      via: 'api_key',
      organizationId: key.organizationId,
      role: roleAtLeast(creatorRole, key.role) ? key.role : creatorRole,
      userId: null,
      personId: key.createdBy,
      sessionId: null,
    };
  }

  async function fromSession(token: string): Promise<Principal> {
    let claims;
    try {
      claims = await tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidAccessTokenError && error.reason === 'expired') {
        throw new AppError('expired_token', 'The session has expired; refresh it (POST /api/v1/auth/refresh) or sign in again.');
      }
      throw new AppError('invalid_token', 'The session cookie is not valid; sign in again.');
    }
    const session = await cache.session(claims.sessionId);
    if (!session || session.userId !== claims.userId || session.revoked || session.expiresAt <= Date.now()) {
      throw new AppError('invalid_token', 'The session has ended; sign in again.');
    }
    const role = session.organizationId ? await cache.membershipRole(session.organizationId, session.userId) : null;
    return {
      actor: { type: 'user', id: session.userId },
      via: 'session',
      organizationId: role ? session.organizationId : null,
      role,
      userId: session.userId,
      personId: session.userId,
      sessionId: claims.sessionId,
    };
  }

  function checkCsrf(request: FastifyRequest, principal: Principal): void {
    if (!deps.isAllowedOrigin(request)) {
      throw new AppError('csrf_failed', 'Cookie-authenticated changes must come from the AIM origin (Origin header); open AIM at its public URL.');
    }
    const token = request.headers['x-csrf-token'];
    if (typeof token !== 'string' || !safeEqual(token, csrfTokenFor(keyring, principal.sessionId!))) {
      throw new AppError('csrf_failed', 'Send the session CSRF token (cookie aim_csrf) in the x-csrf-token header.');
    }
  }

  /** Resolve the caller from the request's credentials; null when it presents none. */
  async function authenticate(request: FastifyRequest): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new AppError('invalid_token', 'The Authorization header must be "Bearer <API key>".');
      if (looksLikeJwt(match[1]!)) {
        throw new AppError('invalid_token', 'Agent tokens are accepted on agent routes only; people and services use a session or an API key here.');
      }
      return fromApiKey(match[1]!);
    }
    const cookie = readCookie(request, ACCESS_COOKIE);
    return cookie ? fromSession(cookie) : null;
  }

  /** An agent: its token (Authorization: Bearer <JWT>), or a request signed with its key. */
  async function authenticateAgent(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match || !looksLikeJwt(match[1]!)) {
        throw new AppError('forbidden', 'This route is for agents: sign the request with the agent key, or send an agent token as "Bearer <JWT>".');
      }
      return agents.fromToken(match[1]!, request.ip || null);
    }
    if (hasSignature(request.headers)) return agents.fromSignature(request);
    if (readCookie(request, ACCESS_COOKIE)) throw new AppError('forbidden', 'This route is for agents, not for a signed-in person.');
    throw new AppError('unauthenticated', 'Sign the request with the agent key (docs/agent-identity.md §4) or send an agent token.');
  }

  function presentsAgentCredentials(request: FastifyRequest): boolean {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      return match !== null && looksLikeJwt(match[1]!);
    }
    return hasSignature(request.headers);
  }

  /** The route-level hook for a route's declared access. */
  function gate(access: RouteAccess) {
    if (access.auth === 'agent') {
      return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
        request.principal = await authenticateAgent(request);
      };
    }
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      if (access.agents && presentsAgentCredentials(request)) {
        request.principal = await authenticateAgent(request);
        return;
      }
      const principal = await authenticate(request);
      if (!principal) throw new AppError('unauthenticated', 'Sign in, or send an API key as "Authorization: Bearer aim_v1_…".');
      request.principal = principal;
      if ((access.auth === 'user' || access.peopleOnly) && principal.via !== 'session') {
        throw new AppError('forbidden', 'This action is for a signed-in person, not an API key.');
      }
      if (principal.via === 'session' && UNSAFE.has(request.method)) checkCsrf(request, principal);
      if (access.auth === 'org') {
        if (!principal.organizationId || !principal.role) {
          throw new AppError('organization_required', 'Choose an organization first (POST /api/v1/me/organization).');
        }
        if (access.permission && !can(principal.role, access.permission)) {
          throw new AppError('forbidden', `Your role (${principal.role}) does not allow ${access.permission}.`);
        }
      }
    };
  }

  return { authenticate, authenticateAgent, gate };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
