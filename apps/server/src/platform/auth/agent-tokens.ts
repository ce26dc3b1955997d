import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { AgentStatus, TrustTier } from '@aim/contracts';
import { AppError } from '../http/app-error.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * Agent access tokens (docs/agent-identity.md §5): EdDSA JWTs signed with the rotating
 * `agent_token` key, published at /.well-known/jwks.json so downstream services verify them
 * offline. The claims are a snapshot; AIM itself and introspection also check the agent's and the
 * key's current state on every use.
 */
export interface AgentTokenClaims {
  agentId: string;
  organizationId: string;
  keyId: string;
  audience: string | string[];
  jti: string;
  issuedAt: number;
  expiresAt: number;
  status: AgentStatus;
  trustTier: TrustTier;
  issuer: string;
}

export class InvalidAgentTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'The agent token has expired.' : 'The agent token is not valid.');
    this.name = 'InvalidAgentTokenError';
  }
}

/** A JWT has three base64url parts; API keys and other bearer secrets do not. */
export const looksLikeJwt = (value: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);

/** Verified tokens kept in process until they expire: busy agents present the same token for minutes. */
const VERIFIED_CACHE_MAX = 20_000;

/** `issuer` is read at each use: AIM's public address is known once the server listens (public-origin.ts). */
export function createAgentTokens(options: { keys: SigningKeys; issuer: () => string; ttlSeconds: number }) {
  const { keys, ttlSeconds } = options;
  const issuer = options.issuer;
  const verified = new Map<string, AgentTokenClaims & { kid: string }>();
  const audienceMatches = (claims: AgentTokenClaims, audience: string | null) =>
    audience === null || (Array.isArray(claims.audience) ? claims.audience.includes(audience) : claims.audience === audience);

  return {
    get issuer() {
      return issuer();
    },
    ttlSeconds,

    async issue(input: {
      agentId: string;
      organizationId: string;
      keyId: string;
      status: AgentStatus;
      trustTier: TrustTier;
      audience?: string | undefined;
      /** The token never outlives this (a rotated-out key's end), in ms since the epoch. */
      notAfterMs?: number | null;
    }): Promise<{ token: string; expiresIn: number; jti: string; expiresAt: number; kid: string }> {
      const key = await keys.current();
      const now = Math.floor(Date.now() / 1000);
      const limit = input.notAfterMs ? Math.floor(input.notAfterMs / 1000) : Infinity;
      const exp = Math.min(now + ttlSeconds, limit);
      if (exp <= now) {
        throw new AppError('key_expired', 'This key was replaced by a rotation and its overlap window is ending; sign with the new key.');
      }
      const jti = `tok_${randomBytes(16).toString('base64url')}`;
      const token = await new SignJWT({
        org: input.organizationId,
        status: input.status,
        trust_tier: input.trustTier,
        cnf: { jkt: input.keyId },
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
        .setIssuer(issuer())
        .setSubject(input.agentId)
        .setAudience(input.audience ?? issuer())
        .setJti(jti)
        .setIssuedAt(now)
        .setExpirationTime(exp)
        .sign(key.privateKey);
      return { token, expiresIn: exp - now, jti, expiresAt: exp, kid: key.kid };
    },

    /**
     * Verify signature, issuer, audience (AIM's own by default) and expiry. A token whose signature
     * verified once is remembered (by its exact bytes) until it expires; the expiry and audience are
     * checked on every call, and the agent's and key's state by the caller.
     */
    async verify(token: string, audience: string | null = issuer()): Promise<AgentTokenClaims> {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAt <= Math.floor(Date.now() / 1000)) {
          verified.delete(token);
          throw new InvalidAgentTokenError('expired');
        }
        // A signing key withdrawn (compromise) takes its tokens with it, remembered or not.
        if (!(await keys.verificationKey(known.kid))) {
          verified.delete(token);
          throw new InvalidAgentTokenError('invalid');
        }
        if (!audienceMatches(known, audience)) throw new InvalidAgentTokenError('invalid');
        return known;
      }
      const claims = await verifyFully(token);
      if (!audienceMatches(claims, audience)) throw new InvalidAgentTokenError('invalid');
      if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
      return claims;
    },
  };

  async function verifyFully(token: string): Promise<AgentTokenClaims & { kid: string }> {
    let payload: JWTPayload;
    let kid = '';
    try {
      ({ payload, protectedHeader: { kid = '' } } = await jwtVerify(
        token,
        async (header) => {
          const key = header.kid ? await keys.verificationKey(header.kid) : undefined;
          if (!key) throw new InvalidAgentTokenError('invalid');
          return key;
        },
        { issuer: issuer(), algorithms: ['EdDSA'], typ: 'at+jwt' },
      ));
    } catch (error) {
      if (error instanceof InvalidAgentTokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new InvalidAgentTokenError('expired');
      throw new InvalidAgentTokenError('invalid');
    }
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.org !== 'string' ||
      typeof payload.jti !== 'string' ||
      typeof payload.exp !== 'number' ||
      typeof payload.iat !== 'number' ||
      typeof cnf?.jkt !== 'string' ||
      payload.aud === undefined
    ) {
      throw new InvalidAgentTokenError('invalid');
    }
    return {
      agentId: payload.sub,
      organizationId: payload.org,
      keyId: cnf.jkt,
      audience: payload.aud,
      jti: payload.jti,
      issuedAt: payload.iat,
      expiresAt: payload.exp,
      status: payload.status as AgentStatus,
      trustTier: payload.trust_tier as TrustTier,
      issuer: issuer(),
      kid,
    };
  }
}

export type AgentTokens = ReturnType<typeof createAgentTokens>;
