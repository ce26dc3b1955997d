import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { SigningKeys } from './signing-keys.js';

/**
 * Session access tokens: short JWTs signed with the rotating session key (EdDSA, `kid` in the
 * header). They carry only who and which session; the session's state (revoked or not, chosen
 * organization) and the role are looked up on every request, so changes apply at once.
 */
export const SESSION_ISSUER = 'aim';
export const SESSION_AUDIENCE = 'aim:session';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  expiresAt: Date;
}

export class InvalidAccessTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'The session access token has expired.' : 'The session access token is not valid.');
    this.name = 'InvalidAccessTokenError';
  }
}

export function createSessionTokens(keys: SigningKeys, ttlSeconds: number) {
  return {
    async issue(userId: string, sessionId: string): Promise<{ token: string; expiresAt: Date }> {
      const key = await keys.current();
      const nowSeconds = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
        .setIssuer(SESSION_ISSUER)
        .setAudience(SESSION_AUDIENCE)
        .setSubject(userId)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + ttlSeconds)
        .sign(key.privateKey);
      return { token, expiresAt: new Date((nowSeconds + ttlSeconds) * 1000) };
    },

    async verify(token: string): Promise<AccessClaims> {
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            const key = header.kid ? await keys.verificationKey(header.kid) : undefined;
            if (!key) throw new InvalidAccessTokenError('invalid');
            return key;
          },
          { issuer: SESSION_ISSUER, audience: SESSION_AUDIENCE, algorithms: ['EdDSA'], typ: 'at+jwt' },
        );
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') {
          throw new InvalidAccessTokenError('invalid');
        }
        return { userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp * 1000) };
      } catch (error) {
        if (error instanceof InvalidAccessTokenError) throw error;
        if (error instanceof joseErrors.JWTExpired) throw new InvalidAccessTokenError('expired');
        throw new InvalidAccessTokenError('invalid');
      }
    },
  };
}

export type SessionTokens = ReturnType<typeof createSessionTokens>;
