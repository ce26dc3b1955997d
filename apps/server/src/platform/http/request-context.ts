import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@aim/contracts';

/** Who is acting. `system` is AIM itself (jobs, start-up). */
export interface Actor {
  type: 'user' | 'agent' | 'api_key' | 'system';
  id: string | null;
}

/**
 * An authenticated principal, set by authentication on the request. The organization it acts
 * for is the tenant scope of everything the request does; its role there decides what it may do.
 */
export interface Principal {
  actor: Actor;
  /** How it authenticated. */
  via: 'session' | 'api_key' | 'agent';
  /** The organization it acts for: fixed for an API key, the chosen one for a session (or none yet). */
  organizationId: string | null;
  role: Role | null;
  /** The person behind a session. */
  userId: string | null;
  /** The person it acts for: the signed-in person, or the creator of the API key; none for agents. */
  personId: string | null;
  sessionId: string | null;
}

/** What a service needs to know about the request it serves: who, for which tenant, from where. */
export interface RequestContext {
  requestId: string;
  clientIp: string | null;
  userAgent: string | null;
  actor: Actor;
  organizationId: string | null;
  role: Role | null;
  userId: string | null;
  /** The person the caller acts for: the signed-in person, or the creator of the API key. */
  personId: string | null;
  sessionId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const MAX_USER_AGENT = 512;

export function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return {
    requestId: request.id,
    // Behind a trusted proxy, request.ip is whatever X-Forwarded-For says: only an address is kept (the
    // audit log and decisions store it as inet, and a 500 for a malformed header helps no one).
    clientIp: request.ip && isIP(request.ip) !== 0 ? request.ip : null,
    userAgent: typeof ua === 'string' ? ua.slice(0, MAX_USER_AGENT) : null,
    actor: request.principal?.actor ?? { type: 'system', id: null },
    organizationId: request.principal?.organizationId ?? null,
    role: request.principal?.role ?? null,
    userId: request.principal?.userId ?? null,
    personId: request.principal?.personId ?? null,
    sessionId: request.principal?.sessionId ?? null,
  };
}

export const SYSTEM_CONTEXT: RequestContext = {
  requestId: 'system',
  clientIp: null,
  userAgent: null,
  actor: { type: 'system', id: null },
  organizationId: null,
  role: null,
  userId: null,
  personId: null,
  sessionId: null,
};

export type AgentRequestContext = RequestContext & { organizationId: string; actor: { type: 'agent'; id: string } };

/** The context of a request an agent authenticated (routes with `access: { auth: 'agent' }`). */
export function agentRequestContext(request: FastifyRequest): AgentRequestContext {
  const ctx = requestContext(request);
  if (ctx.actor.type !== 'agent' || !ctx.actor.id || !ctx.organizationId) {
    throw new Error('agentRequestContext: the route is not agent-authenticated');
  }
  return ctx as AgentRequestContext;
}
