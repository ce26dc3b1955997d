import type { KeyObject } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { keyObjectFromRaw, verifyEd25519 } from '../crypto/ed25519.js';
import { AppError } from '../http/app-error.js';
import type { Principal } from '../http/request-context.js';
import type { SharedStore } from '../store/shared-store.js';
import type { AccessCache, AgentKeyState, AgentState } from './access-cache.js';
import { InvalidAgentTokenError, type AgentTokens } from './agent-tokens.js';
import {
  NONCE_TTL_MS,
  checkContentDigest,
  checkSignatureTime,
  parseSignedRequest,
  type SignedRequestParts,
} from './http-signatures.js';
import type { UsageCounter } from './usage-counter.js';
import { isAuthFailureReason, type AuthFailureRecorder } from './auth-failure-recorder.js';
import type { PublicOrigin } from '../config/public-origin.js';

/**
 * Authentication of agents (docs/agent-identity.md §4–5): a request signed with the agent's key
 * (RFC 9421), or an agent token. Key and agent state come through the shared store (cached at
 * most 5 minutes, invalidated on every change), so a suspension, revocation or key expiry applies
 * on the next request on every instance. Public KeyObjects are kept in process by key id: a key
 * id is the key's hash, so the entry can never go stale.
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes as received (JSON bodies), for Content-Digest checks. */
    rawBody: Buffer | null;
  }
}

export interface AgentPrincipal extends Principal {
  via: 'agent';
  /** The key that signed the request, or that obtained the token. */
  agentKeyId: string;
  /**
   * How the agent proved itself on this request: its key's signature over this very request (or a
   * client assertion signed by it), or a bearer token. Actions that change the agent's credentials
   * require proof by the key itself.
   */
  proof: 'signature' | 'assertion' | 'token';
  /** The key's and the agent's state as checked for this request. */
  key: AgentKeyState;
  agent: AgentState;
}

const KEY_OBJECT_CACHE_MAX = 10_000;

export function createAgentAuthenticator(deps: {
  cache: AccessCache;
  tokens: AgentTokens;
  store: SharedStore;
  usage: UsageCounter;
  /** Requests signed with one of an agent's retired keys (revoked, or past its overlap), by agent id: trust evidence. */
  failures?: UsageCounter;
  /** Refusals of requests that named a known key, for the monitoring's key_misuse detector. */
  refusals?: Pick<AuthFailureRecorder, 'record'>;
  /** Every refusal by reason (`aim_agent_authentication_failures_total`), unknown key ids included. */
  countRefusal?: (reason: string) => void;
  /** AIM's public address: the base URL agents sign, whatever Host a request names. */
  publicOrigin: Pick<PublicOrigin, 'baseUrl' | 'isPublicHost'>;
  now?: () => number;
}) {
  const { cache, tokens, store, usage } = deps;
  const now = deps.now ?? Date.now;
  const keyObjects = new Map<string, KeyObject>();

  const keyObjectFor = (state: AgentKeyState): KeyObject => {
    let key = keyObjects.get(state.keyId);
    if (!key) {
      if (keyObjects.size >= KEY_OBJECT_CACHE_MAX) keyObjects.delete(keyObjects.keys().next().value!);
      key = keyObjectFromRaw(Buffer.from(state.publicKey, 'base64url'));
      keyObjects.set(state.keyId, key);
    }
    return key;
  };

  /**
   * Count a refused signed request against the agent (trust evidence), only when the agent's own key
   * made it: its signature verifies, but with a key that is revoked or past its rotation overlap. A
   * signature that does not verify proves nothing about who sent it (key ids are not secret), so it
   * is never held against the agent.
   */
  const countFailure = (key: AgentKeyState) => deps.failures?.record(key.organizationId, key.agentId);

  /**
   * A refused request, reported for monitoring: every refusal counts in the metric by its code; one
   * that named a known key (its organization and agent are known) is recorded against that agent,
   * whoever sent it, since a burst of them is what key theft looks like (docs/monitoring.md).
   */
  function reportRefusal(error: unknown, key: AgentKeyState | undefined, address: string | null): void {
    if (!(error instanceof AppError)) return;
    deps.countRefusal?.(error.code);
    if (key && isAuthFailureReason(error.code)) {
      deps.refusals?.record({ organizationId: key.organizationId, agentId: key.agentId, keyId: key.keyId, reason: error.code, address });
    }
  }

  /** The key by id, refused when unknown, revoked or past its rotation overlap (`refused` hears of a known key refused). */
  async function usableKey(keyId: string, refused?: (key: AgentKeyState) => void): Promise<AgentKeyState> {
    const key = await cache.agentKey(keyId);
    if (!key) throw new AppError('unknown_key', `No agent key has the id ${keyId}; register the key first.`);
    if (key.revoked || (key.expiresAt !== null && key.expiresAt <= now())) refused?.(key);
    if (key.revoked) throw new AppError('key_revoked', 'This key was revoked; rotate to a new key or register the agent again.');
    if (key.expiresAt !== null && key.expiresAt <= now()) {
      throw new AppError('key_expired', 'This key was replaced by a rotation and its overlap window has ended; sign with the new key.');
    }
    return key;
  }

  async function activeAgent(agentId: string): Promise<AgentState> {
    const agent = await cache.agent(agentId);
    if (!agent) throw new AppError('unknown_key', 'The agent of this key no longer exists.');
    if (agent.status === 'suspended') throw new AppError('agent_suspended', 'The agent is suspended; ask its owner to reactivate it.');
    if (agent.status === 'revoked') throw new AppError('agent_revoked', 'The agent is revoked, which is final.');
    return agent;
  }

  const principalFor = (key: AgentKeyState, agent: AgentState, proof: AgentPrincipal['proof']): AgentPrincipal => {
    usage.record(key.organizationId, key.keyId);
    return {
      actor: { type: 'agent', id: key.agentId },
      via: 'agent',
      organizationId: key.organizationId,
      role: null,
      userId: null,
      personId: null,
      sessionId: null,
      agentKeyId: key.keyId,
      proof,
      key,
      agent,
    };
  };

  /**
   * Spend the nonce and read the agent's state in one round of the store (both are needed; the
   * nonce counts as spent either way, as docs/agent-identity.md §4e orders it), then report the
   * first failure in that order.
   */
  async function spendNonceAndCheckAgent(key: AgentKeyState, nonceKey: string, ttlMs: number, replayed: () => AppError): Promise<AgentState> {
    const [claimed, agent] = await Promise.allSettled([store.claimOnce(nonceKey, ttlMs), activeAgent(key.agentId)]);
    if (claimed.status === 'rejected') throw claimed.reason;
    if (!claimed.value) throw replayed();
    if (agent.status === 'rejected') throw agent.reason;
    return agent.value;
  }

  /**
   * AIM's base URL: what starts every `@target-uri`, and what proofs of possession name. Never the
   * request's Host: a signature binds the agent's request to this deployment's one public address.
   */
  const originFor = (_request?: FastifyRequest): string => deps.publicOrigin.baseUrl;

  /** For a signature that does not verify: the base URL it must name, when the request reached AIM by another. */
  const addressHint = (request: FastifyRequest): string =>
    deps.publicOrigin.isPublicHost(request.host)
      ? ''
      : ` If you signed the address this request reached (${request.host}), sign AIM's public address ${deps.publicOrigin.baseUrl} instead (docs/agent-identity.md §4b).`;

  function requestParts(request: FastifyRequest): SignedRequestParts {
    const length = request.headers['content-length'];
    return {
      method: request.method,
      origin: originFor(request),
      url: request.raw.url ?? request.url,
      headers: request.headers,
      hasBody: (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined,
    };
  }

  /** A signed request verified, docs/agent-identity.md §4e, in that order; `named` hears of the key it names once known. */
  async function verifySignature(request: FastifyRequest, named: { key?: AgentKeyState }): Promise<AgentPrincipal> {
    const parts = requestParts(request);
    if (parts.hasBody && (request.method === 'GET' || request.method === 'HEAD')) {
      throw new AppError('malformed_signature', `A ${request.method} request carries no body; send the request without one.`);
    }
    const parsed = parseSignedRequest(parts);
    checkSignatureTime(parsed, now());
    const key = await usableKey(parsed.keyId, (retired) => {
      named.key = retired;
      if (verifyEd25519(keyObjectFor(retired), parsed.base, parsed.signature)) countFailure(retired);
    });
    named.key = key;
    if (!verifyEd25519(keyObjectFor(key), parsed.base, parsed.signature)) {
      throw new AppError(
        'invalid_signature',
        'The signature does not verify over this request: check the signature base (docs/agent-identity.md §4d) and that the URL, query and headers were not changed.' +
          addressHint(request),
      );
    }
    if (parts.hasBody) checkContentDigest(request.headers['content-digest'] as string | undefined, request.rawBody ?? Buffer.alloc(0));
    const agent = await spendNonceAndCheckAgent(
      key,
      `agent-nonce:${key.keyId}:${parsed.nonce}`,
      NONCE_TTL_MS,
      () => new AppError('replayed_request', 'This nonce was already used with this key; sign every request with a new nonce.'),
    );
    return principalFor(key, agent, 'signature');
  }

  /** An agent token presented to AIM itself verified: signature, issuer, AIM's audience, expiry, and state now. */
  async function verifyToken(token: string, named: { key?: AgentKeyState }): Promise<AgentPrincipal> {
    let claims;
    try {
      claims = await tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidAgentTokenError && error.reason === 'expired') {
        throw new AppError('expired_token', 'The agent token has expired; get a new one (POST /api/v1/oauth/token).');
      }
      throw new AppError('invalid_token', 'The agent token is not valid for AIM (signature, issuer or audience).');
    }
    const key = await usableKey(claims.keyId, (retired) => (named.key = retired));
    named.key = key;
    if (key.agentId !== claims.agentId) throw new AppError('invalid_token', 'The agent token does not match its key.');
    return principalFor(key, await activeAgent(key.agentId), 'token');
  }

  return {
    originFor,

    /** Verify a signed request (after its body was read); docs/agent-identity.md §4e, in that order. */
    async fromSignature(request: FastifyRequest): Promise<AgentPrincipal> {
      const named: { key?: AgentKeyState } = {};
      try {
        return await verifySignature(request, named);
      } catch (error) {
        reportRefusal(error, named.key, request.ip || null);
        throw error;
      }
    },

    /** Verify an agent token presented to AIM itself: signature, issuer, AIM's audience, expiry, and state now. */
    async fromToken(token: string, address: string | null = null): Promise<AgentPrincipal> {
      const named: { key?: AgentKeyState } = {};
      try {
        return await verifyToken(token, named);
      } catch (error) {
        reportRefusal(error, named.key, address);
        throw error;
      }
    },

    /**
     * An RFC 7523 client assertion: a JWT the agent signed with its key (kid = key id), iss = sub
     * = agent id, aud one of `audiences`, lifetime at most 300 s, jti used once.
     */
    async fromClientAssertion(assertion: string, audiences: string[]): Promise<AgentPrincipal> {
      const refuse = (why: string) => new AppError('invalid_client_assertion', `The client assertion ${why}.`);
      let kid: unknown;
      try {
        kid = decodeProtectedHeader(assertion).kid;
      } catch {
        throw refuse('is not a JWT');
      }
      if (typeof kid !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(kid)) throw refuse('must name the agent key id in its kid header');
      const key = await usableKey(kid);
      let payload;
      try {
        ({ payload } = await jwtVerify(assertion, keyObjectFor(key), {
          algorithms: ['EdDSA'],
          issuer: key.agentId,
          subject: key.agentId,
          audience: audiences,
          requiredClaims: ['jti', 'exp', 'iat'],
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw refuse(`does not verify (${(error as Error).message})`);
      }
      if (payload.exp! - payload.iat! > 300) throw refuse('may live at most 300 seconds (exp - iat)');
      if (payload.iat! > Math.floor(now() / 1000) + 5) throw refuse('was issued in the future; check the agent clock');
      if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 200) throw refuse('needs a unique jti');
      const ttl = (payload.exp! - Math.floor(now() / 1000) + 5) * 1000;
      const agent = await spendNonceAndCheckAgent(key, `agent-assertion:${key.keyId}:${payload.jti}`, ttl, () => refuse('was already used (jti)'));
      return principalFor(key, agent, 'assertion');
    },

    /** The key and agent state for a token, for introspection: null when it is not active. */
    async tokenState(token: string, audience: string | null) {
      try {
        const claims = await tokens.verify(token, audience);
        const key = await usableKey(claims.keyId);
        if (key.agentId !== claims.agentId) return null;
        const agent = await activeAgent(key.agentId);
        return { claims, agent };
      } catch (error) {
        if (error instanceof AppError || error instanceof InvalidAgentTokenError) return null;
        throw error;
      }
    },

    usableKey,
    activeAgent,
  };
}

/** scheme://host[:port], the port left out when it is the scheme's default. */
export function originOf(protocol: string, host: string): string {
  const scheme = protocol.toLowerCase();
  const lowerHost = host.toLowerCase();
  const trimmed =
    (scheme === 'http' && lowerHost.endsWith(':80')) || (scheme === 'https' && lowerHost.endsWith(':443'))
      ? lowerHost.slice(0, lowerHost.lastIndexOf(':'))
      : lowerHost;
  return `${scheme}://${trimmed}`;
}

export type AgentAuthenticator = ReturnType<typeof createAgentAuthenticator>;
