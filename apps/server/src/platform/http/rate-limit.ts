import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SharedStore } from '../store/shared-store.js';
import { AppError } from './app-error.js';

/**
 * Fixed-window rate limits through the shared store, so the limit holds across instances:
 * one per client IP (before anything else runs) and one per authenticated principal (after
 * authentication). Over the limit answers 429 with Retry-After.
 */
export interface RateLimitOptions {
  store: SharedStore;
  windowMs: number;
  ipMax: number;
  principalMax: number;
}

function limited(reply: FastifyReply, limit: number, count: number, resetInMs: number): void {
  const resetSeconds = Math.max(1, Math.ceil(resetInMs / 1000));
  reply.header('ratelimit-limit', String(limit));
  reply.header('ratelimit-remaining', String(Math.max(0, limit - count)));
  reply.header('ratelimit-reset', String(resetSeconds));
  if (count > limit) {
    throw new AppError('rate_limited', `Too many requests. Try again in ${resetSeconds} seconds.`, {
      headers: { 'retry-after': String(resetSeconds) },
    });
  }
}

export function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): void {
  const { store, windowMs, ipMax, principalMax } = options;

  // When the store cannot be reached, requests pass (fail open) and the failure is logged: the
  // store going down must not take the whole API, health probes included, down with it.
  const count = async (request: FastifyRequest, key: string) => {
    try {
      return await store.hit(key, windowMs);
    } catch (error) {
      request.log.warn({ err: error }, 'rate limit not applied: the shared store is unreachable');
      return undefined;
    }
  };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const hit = await count(request, `rl:ip:${request.ip}`);
    if (hit) limited(reply, ipMax, hit.count, hit.resetInMs);
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = request.principal;
    if (!principal) return;
    const hit = await count(request, `rl:principal:${principal.actor.type}:${principal.actor.id ?? 'none'}`);
    if (hit) limited(reply, principalMax, hit.count, hit.resetInMs);
  });
}
