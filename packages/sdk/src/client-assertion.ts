import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { toPrivateKeyObject, type Ed25519PrivateJwk } from './keys.js';

/** Lifetime of the assertions the SDK makes; AIM accepts at most 300 seconds. */
export const CLIENT_ASSERTION_LIFETIME_SECONDS = 60;

/**
 * What {@link createClientAssertion} needs.
 *
 * @example
 * ```ts
 * const input: ClientAssertionInput = { agentId, keyId, privateKey, audience: `${baseUrl}/api/v1/oauth/token` };
 * ```
 */
export interface ClientAssertionInput {
  /** The agent id (`agt_…`): both `iss` and `sub`. */
  agentId: string;
  /** The signing key's thumbprint: the header's `kid`. */
  keyId: string;
  privateKey: KeyObject | Ed25519PrivateJwk;
  /** The token endpoint's URL: `<AIM's public URL>/api/v1/oauth/token`. */
  audience: string;
  /** Unix seconds; defaults to now. */
  now?: number;
  /** Defaults to 16 random bytes in base64url. */
  jti?: string;
}

/**
 * An RFC 7523 client assertion: a compact JWS signed with EdDSA, header `{alg, kid}`, claims `iss` =
 * `sub` = the agent id, `aud` the token endpoint, a single-use `jti`, `iat`, and `exp` 60 seconds later.
 * Send it to `POST /api/v1/oauth/token` as `client_assertion` with
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
 *
 * @example
 * ```ts
 * const assertion = createClientAssertion({
 *   agentId: 'agt_…', keyId, privateKey, audience: 'https://aim.example.com/api/v1/oauth/token',
 * });
 * ```
 */
export function createClientAssertion(input: ClientAssertionInput): string {
  const iat = input.now ?? Math.floor(Date.now() / 1000);
  const header = { alg: 'EdDSA', kid: input.keyId };
  const claims = {
    iss: input.agentId,
    sub: input.agentId,
    aud: input.audience,
    jti: input.jti ?? randomBytes(16).toString('base64url'),
    iat,
    exp: iat + CLIENT_ASSERTION_LIFETIME_SECONDS,
  };
  return signCompactJws(header, claims, input.privateKey);
}

/**
 * Sign a compact JWS with Ed25519: `base64url(header).base64url(payload).base64url(signature)`.
 * The header must say `alg: "EdDSA"`; this function does not add it.
 *
 * @example
 * ```ts
 * signCompactJws({ alg: 'EdDSA' }, 'Example of Ed25519 signing', privateKey); // RFC 8037 A.4
 * ```
 */
export function signCompactJws(header: Record<string, unknown>, payload: Record<string, unknown> | string, privateKey: KeyObject | Ed25519PrivateJwk): string {
  const encodedHeader = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const payloadText = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signingInput = `${encodedHeader}.${Buffer.from(payloadText, 'utf8').toString('base64url')}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), toPrivateKeyObject(privateKey));
  return `${signingInput}.${signature.toString('base64url')}`;
}
