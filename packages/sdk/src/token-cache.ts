/**
 * Agent tokens, cached per audience. A token is reused while more than `minValiditySeconds` of it
 * remain; callers that need a new one at the same time share one request.
 */

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

export interface TokenCache {
  get(audience: string | undefined, minValiditySeconds: number): Promise<string>;
  /** Forget a token AIM refused, so the next `get` fetches a new one. */
  forget(audience: string | undefined, accessToken: string): void;
  /** Forget every token, and ignore the answers of requests already under way (after a key rotation). */
  clear(): void;
}

interface CachedToken {
  accessToken: string;
  /** Milliseconds, by the local clock; counted from when the request was sent, so never late. */
  expiresAt: number;
}

export const DEFAULT_MIN_VALIDITY_SECONDS = 60;

export function createTokenCache(fetchToken: (audience: string | undefined) => Promise<IssuedToken>, now: () => number = Date.now): TokenCache {
  const tokens = new Map<string, CachedToken>();
  const inFlight = new Map<string, Promise<CachedToken>>();
  let generation = 0;

  function request(key: string, audience: string | undefined): Promise<CachedToken> {
    const startedAt = now();
    const startedIn = generation;
    const pending = fetchToken(audience)
      .then((issued) => {
        const token = { accessToken: issued.accessToken, expiresAt: startedAt + issued.expiresInSeconds * 1000 };
        if (startedIn === generation) tokens.set(key, token);
        return token;
      })
      .finally(() => {
        if (inFlight.get(key) === pending) inFlight.delete(key);
      });
    inFlight.set(key, pending);
    return pending;
  }

  return {
    async get(audience, minValiditySeconds) {
      const key = audience ?? '';
      const cached = tokens.get(key);
      if (cached && cached.expiresAt - now() >= minValiditySeconds * 1000) return cached.accessToken;
      return (await (inFlight.get(key) ?? request(key, audience))).accessToken;
    },
    forget(audience, accessToken) {
      const key = audience ?? '';
      if (tokens.get(key)?.accessToken === accessToken) tokens.delete(key);
    },
    clear() {
      generation += 1;
      tokens.clear();
      inFlight.clear();
    },
  };
}
