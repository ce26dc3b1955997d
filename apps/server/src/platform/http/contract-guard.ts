import type { FastifyInstance, RouteOptions } from 'fastify';

/**
 * The schema is the contract: every route the API documents must declare the responses it sends.
 * A route without a response schema stops the app at start-up. Routes marked `hide` (the
 * API reference's static files) are not part of the contract.
 */
export class MissingResponseSchemaError extends Error {
  constructor(route: string) {
    super(`Route ${route} has no response schema; declare schema.response for every status it answers with.`);
    this.name = 'MissingResponseSchemaError';
  }
}

export interface RouteRecord {
  method: string;
  url: string;
  hidden: boolean;
}

export function registerContractGuard(app: FastifyInstance): RouteRecord[] {
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = ([] as string[]).concat(route.method);
    const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> } | undefined;
    const hidden = schema?.hide === true;
    for (const method of methods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      if (!hidden && (!schema?.response || Object.keys(schema.response).length === 0)) {
        throw new MissingResponseSchemaError(`${method} ${route.url}`);
      }
      routes.push({ method, url: route.url, hidden });
    }
  });
  return routes;
}
