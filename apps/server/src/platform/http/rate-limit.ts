import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { SharedStore, WindowHit } from '../store/shared-store.js';
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

/**
 * The unit a client is limited by: its IPv4 address, or the /64 network of an IPv6 address (one
 * IPv6 host usually holds a whole /64, and could otherwise rotate through it).
 */
export function clientNetwork(ip: string): string {
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Sets the RateLimit headers; returns the error to answer with when over the limit. */
function check(reply: FastifyReply, limit: number, hit: WindowHit): AppError | undefined {
  const resetSeconds = Math.max(1, Math.ceil(hit.resetInMs / 1000));
  reply.header('ratelimit-limit', String(limit));
  reply.header('ratelimit-remaining', String(Math.max(0, limit - hit.count)));
  reply.header('ratelimit-reset', String(resetSeconds));
  if (hit.count <= limit) return undefined;
  return new AppError('rate_limited', `Too many requests. Try again in ${resetSeconds} seconds.`, {
    headers: { 'retry-after': String(resetSeconds) },
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false: the per-IP limit does not count this route. Only for public files served from memory
     * (the dashboard's assets), which one page view fetches by the dozen.
     */
    ipRateLimit?: false;
  }
}

export function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): void {
  const { store, windowMs, ipMax, principalMax } = options;

  // When the store cannot be reached, requests pass (fail open) and the failure is logged: the
  // store going down must not take the whole API, health probes included, down with it.
  // Callback-style hooks: this runs on every request, and avoids an async frame per hook.
  const limit = (request: FastifyRequest, reply: FastifyReply, key: string, max: number, done: HookHandlerDoneFunction) => {
    store.hit(key, windowMs).then(
      (hit) => done(check(reply, max, hit)),
      (error: unknown) => {
        request.log.warn({ err: error }, 'rate limit not applied: the shared store is unreachable');
        done();
      },
    );
  };

  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.ipRateLimit === false) return done();
    limit(request, reply, `rl:ip:${clientNetwork(request.ip)}`, ipMax, done);
  });

  app.addHook('preHandler', (request, reply, done) => {
    const principal = request.principal;
    if (!principal) return done();
    limit(request, reply, `rl:principal:${principal.actor.type}:${principal.actor.id ?? 'none'}`, principalMax, done);
  });
}

/**
 * A stricter limit for sign-in steps (per client and per account), on top of the general one.
 * Throws 429 with Retry-After when over it.
 */
export async function limitSignIn(store: SharedStore, key: string, max: number, windowMs = 60_000): Promise<void> {
  const hit = await store.hit(`rl:signin:${key}`, windowMs);
  if (hit.count > max) {
    const seconds = Math.max(1, Math.ceil(hit.resetInMs / 1000));
    throw new AppError('rate_limited', `Too many sign-in attempts. Try again in ${seconds} seconds.`, {
      headers: { 'retry-after': String(seconds) },
    });
  }
}
