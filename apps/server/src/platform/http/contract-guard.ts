import type { FastifyInstance, RouteOptions, onRequestAsyncHookHandler, preValidationAsyncHookHandler } from 'fastify';
import { errorEnvelopeSchema } from '@aim/contracts';
import type { Authenticator, RouteAccess } from '../auth/authenticate.js';
import { API_TAG_NAMES } from './openapi-tags.js';

/** Error answers every documented route can give, added to its schema unless it declares its own. */
const COMMON_ERRORS = [400, 404, 429, 500, 503];
const AUTHENTICATED_ERRORS = [401, 403];

/**
 * The route contract, enforced as routes are registered:
 *  - every route the API documents declares the responses it sends (the schema is the contract);
 *  - every route declares who may call it (`config.access`), and gets the matching
 *    authentication and authorization hook — public routes get none; the API reference derives the
 *    operation's security from the same declaration (openapi-security.ts);
 *  - every tag a documented route uses is described in API_TAGS.
 * A route that breaks either rule stops the app at start-up. Routes marked `hide` (the API
 * reference's static files) are not part of the contract and are public.
 */
export class RouteContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteContractError';
  }
}

export interface RouteRecord {
  method: string;
  url: string;
  hidden: boolean;
  access: RouteAccess;
  /** The first example of the request body schema, if it has one (docs and tests use it). */
  bodyExample: unknown;
}

export function registerRouteContract(app: FastifyInstance, authenticator: Authenticator): RouteRecord[] {
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = ([] as string[]).concat(route.method).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
    if (methods.length === 0) return;
    const schema = route.schema as
      | {
          hide?: boolean;
          tags?: string[];
          security?: unknown;
          response?: Record<string, unknown>;
          body?: { meta?: () => { examples?: unknown[] } | undefined };
        }
      | undefined;
    const hidden = schema?.hide === true;
    const name = `${methods.join(',')} ${route.url}`;
    if (!hidden && (!schema?.response || Object.keys(schema.response).length === 0)) {
      throw new RouteContractError(`Route ${name} has no response schema; declare schema.response for every status it answers with.`);
    }
    const access = route.config?.access ?? (hidden ? { auth: 'public' as const } : undefined);
    if (!access) {
      throw new RouteContractError(`Route ${name} does not declare config.access (public, user, or org with a permission).`);
    }
    if (!hidden && access.auth !== 'public' && schema?.security !== undefined) {
      throw new RouteContractError(`Route ${name} declares schema.security; its security comes from config.access (openapi-security.ts).`);
    }
    const unknownTag = hidden ? undefined : schema?.tags?.find((tag) => !API_TAG_NAMES.has(tag));
    if (unknownTag !== undefined) {
      throw new RouteContractError(`Route ${name} uses the tag "${unknownTag}", which is not in API_TAGS (openapi-tags.ts); add it with a description.`);
    }
    if (!hidden && schema?.response) {
      const codes = access.auth === 'public' ? COMMON_ERRORS : [...COMMON_ERRORS, ...AUTHENTICATED_ERRORS];
      for (const code of codes) schema.response[code] ??= errorEnvelopeSchema;
    }
    if (access.auth === 'agent' || access.agents) {
      // Signed requests are checked against the body's digest, so this gate runs once it is read.
      const gate: preValidationAsyncHookHandler = authenticator.gate(access);
      route.preValidation = [gate, ...([] as preValidationAsyncHookHandler[]).concat((route.preValidation as never) ?? [])];
    } else if (access.auth !== 'public') {
      const gate: onRequestAsyncHookHandler = authenticator.gate(access);
      route.onRequest = [...([] as onRequestAsyncHookHandler[]).concat((route.onRequest as never) ?? []), gate];
    }
    const bodyExample = typeof schema?.body?.meta === 'function' ? schema.body.meta()?.examples?.[0] : undefined;
    for (const method of methods) routes.push({ method, url: route.url, hidden, access, bodyExample });
  });
  return routes;
}
