import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role } from '@aim/contracts';
import type { RouteAccess } from '../auth/authenticate.js';
import { acceptForms } from './form-body.js';
import type { SecurityRequirement } from './openapi-security.js';
import type { ApiTagName } from './openapi-tags.js';
import { requestContext, type AgentRequestContext, type RequestContext } from './request-context.js';

/**
 * One declaration per API operation: its method and path, the request and response schemas (from
 * @aim/contracts), who may call it, where the reference lists it, and the one service call it makes.
 * Everything else derives from the declaration as it is registered (registerOperations): the
 * Fastify route and its validation, the authentication and permission gate (contract-guard.ts), the
 * OpenAPI operation with its tag and security (openapi-security.ts), docs/permissions.md and the
 * route × role × organization test table (both read the route table).
 *
 * The handler receives the parsed input and a context whose type follows the access rule: an `org`
 * operation with a permission gets an OrgContext (organization and role known, the permission
 * already checked by the gate), so a service that takes an OrgContext needs no check of its own.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A person or API key acting in an organization whose role the gate has checked. */
export type OrgContext = RequestContext & { organizationId: string; role: Role };
/** A caller acting in an organization: a person or API key (with a role), or an agent (without). */
export type TenantContext = RequestContext & { organizationId: string };
/** A signed-in person, with or without an organization chosen. */
export type UserContext = RequestContext & { userId: string };

/** The context an operation's handler receives, by its access rule. */
export type ContextFor<A extends RouteAccess> = A['auth'] extends 'agent'
  ? AgentRequestContext
  : A['auth'] extends 'org'
    ? A extends { agents: true }
      ? TenantContext
      : OrgContext
    : A['auth'] extends 'user'
      ? UserContext
      : RequestContext;

type Schema = z.ZodType;
type Output<S> = S extends Schema ? z.output<S> : undefined;
type SuccessBody<R, S> = S extends keyof R ? (R[S] extends Schema ? z.input<R[S]> : never) : never;

export type OperationErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;

export interface OperationInput<P, Q, B, A extends RouteAccess> {
  params: Output<P>;
  query: Output<Q>;
  body: Output<B>;
  ctx: ContextFor<A>;
  /** For what only HTTP knows (cookies, the client's origin, the agent's proof); most handlers never touch it. */
  request: FastifyRequest;
  /** For answers that are not one JSON body (cookies, redirects, streams): return the reply once sent. */
  reply: FastifyReply;
}

export interface OperationSpec<
  P extends Schema | undefined,
  Q extends Schema | undefined,
  B extends Schema | undefined,
  R extends Record<number, Schema>,
  S extends number,
  A extends RouteAccess,
> {
  method: Method;
  /** Fastify path syntax: `/api/v1/agents/:agentId`. */
  path: string;
  /** The API reference's group (openapi-tags.ts describes each). */
  tag: ApiTagName;
  summary: string;
  description?: string;
  /** Who may call it; the gate enforces it and the reference's security is derived from it. */
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /** Every status the operation answers with, other than the common errors contract-guard.ts adds. */
  responses: R;
  /** The status of a successful answer (default 200); the handler returns its body. */
  status?: S;
  /** A page a person opens in a browser: redirected to AIM's public host (public-host.ts). */
  page?: true;
  /** Only for a public operation that checks a credential of its own (openapi-security.ts). */
  security?: SecurityRequirement[];
  /** Takes form bodies (`application/x-www-form-urlencoded`) as well as JSON: OAuth clients send them (form-body.ts). */
  forms?: true;
  /**
   * Answers this operation's errors itself, from validation to the handler (a page that must end on another
   * page rather than a JSON envelope: the OIDC sign-in's start and callback).
   */
  errorHandler?: OperationErrorHandler;
  handle(input: OperationInput<P, Q, B, A>): Promise<SuccessBody<R, S> | FastifyReply> | SuccessBody<R, S> | FastifyReply;
}

/** An operation with its types erased, as the registry holds it. */
export interface Operation {
  method: Method;
  path: string;
  tag: ApiTagName;
  summary: string;
  description?: string;
  access: RouteAccess;
  params?: Schema;
  query?: Schema;
  body?: Schema;
  responses: Record<number, Schema>;
  status?: number;
  page?: true;
  security?: SecurityRequirement[];
  forms?: true;
  errorHandler?: OperationErrorHandler;
  handle(input: { params: unknown; query: unknown; body: unknown; ctx: RequestContext; request: FastifyRequest; reply: FastifyReply }): unknown;
}

/** Declares an operation; the types of its handler's input and answer follow from the schemas. */
export function defineOperation<
  const A extends RouteAccess,
  R extends Record<number, Schema>,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  S extends number = 200,
>(spec: OperationSpec<P, Q, B, R, S, A>): Operation {
  return spec as unknown as Operation;
}

/** The context of a request, checked against what the operation's gate guarantees. */
function contextFor(access: RouteAccess, request: FastifyRequest): RequestContext {
  const ctx = requestContext(request);
  const holds =
    access.auth === 'public' ||
    (access.auth === 'user' && ctx.userId !== null) ||
    (access.auth === 'agent' && ctx.actor.type === 'agent' && ctx.organizationId !== null) ||
    (access.auth === 'org' && ctx.organizationId !== null && (ctx.role !== null || (access.agents === true && ctx.actor.type === 'agent')));
  // The gate (contract-guard.ts) runs first; reaching here without its guarantee is a bug, not a client error.
  if (!holds) throw new Error(`${request.method} ${request.routeOptions.url}: the request passed its gate without the context its access (${access.auth}) promises`);
  return ctx;
}

/** Registers each operation as a Fastify route; the route contract (contract-guard.ts) adds its gate. */
export function registerOperations(app: FastifyInstance, operations: readonly Operation[]): void {
  const forms = operations.filter((op) => op.forms);
  for (const op of operations) if (!op.forms) registerOperation(app, op);
  // Form bodies are accepted by these operations only: their parser lives in their own scope.
  if (forms.length > 0) {
    void app.register(async (scope) => {
      acceptForms(scope);
      for (const op of forms) registerOperation(scope, op);
    });
  }
}

function registerOperation(app: FastifyInstance, op: Operation): void {
  const status = op.status ?? 200;
  app.route({
    method: op.method,
    url: op.path,
    schema: {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description === undefined ? {} : { description: op.description }),
      ...(op.params === undefined ? {} : { params: op.params }),
      ...(op.query === undefined ? {} : { querystring: op.query }),
      ...(op.body === undefined ? {} : { body: op.body }),
      ...(op.security === undefined ? {} : { security: op.security }),
      response: op.responses,
    },
    config: { access: op.access, ...(op.page ? { page: true as const } : {}) },
    ...(op.errorHandler === undefined ? {} : { errorHandler: op.errorHandler }),
    handler: async (request, reply) => {
      const result = await op.handle({
        params: request.params,
        query: request.query,
        body: request.body,
        ctx: contextFor(op.access, request),
        request,
        reply,
      });
      if (result === reply || reply.sent) return reply;
      return reply.code(status).send(result);
    },
  });
}

/** A feature (platform/feature.ts): its operations and the background work it owns. */
export type { Feature } from '../feature.js';
