import { unwrapAgent, type AgentRecord } from './agent-record.js';
import { AimError } from './errors.js';
import type { IssuedToken } from './token-cache.js';
import { readJson, sendPlain, sendSigned, type SigningKey, type Transport } from './transport.js';
import type { WireAnswer, WireRequest } from './wire.js';

/** The single steps of docs/agent-identity.md, each one request to AIM. */

type ChallengeAnswer = WireAnswer<'/api/v1/agent-challenges', 'post'>;
type TokenRequest = WireRequest<'/api/v1/oauth/token', 'post'>;
type TokenAnswer = WireAnswer<'/api/v1/oauth/token', 'post'>;
/** An answer before it is checked: any field may be missing or of another type. */
type Unchecked<T> = { [K in keyof T]?: unknown } | null | undefined;

/** `POST /api/v1/agent-challenges`: a single-use challenge, valid 5 minutes (§2). */
export async function requestChallenge(transport: Transport): Promise<string> {
  const body = await readJson<Unchecked<ChallengeAnswer>>(await sendPlain(transport, '/api/v1/agent-challenges', { method: 'POST' }));
  if (typeof body?.challenge !== 'string' || body.challenge === '') {
    throw new AimError('invalid_response', 'AIM answered a challenge request without a challenge.');
  }
  return body.challenge;
}

/** `POST /api/v1/oauth/token`, signed (§5a). */
export async function requestToken(transport: Transport, key: SigningKey, audience: string | undefined): Promise<IssuedToken> {
  const request: TokenRequest = { grant_type: 'client_credentials', ...(audience === undefined ? {} : { audience }) };
  const body = await readJson<Unchecked<TokenAnswer>>(
    await sendSigned(transport, key, '/api/v1/oauth/token', { method: 'POST', body: request }),
  );
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = body ?? {};
  if (typeof accessToken !== 'string' || accessToken === '' || typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new AimError('invalid_response', 'AIM answered a token request without a bearer access_token.');
  }
  if (typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new AimError('invalid_response', 'AIM answered a token request without a positive expires_in.');
  }
  return { accessToken, expiresInSeconds: expiresIn };
}

/**
 * What AIM says about a key, asked by signing `GET /api/v1/agents/me` with it (§8):
 * - `registered`: the key is an agent's, and usable (`agent` is absent when the agent is suspended or
 *   revoked: AIM checks the key and the signature before the agent's status, so the key is known);
 * - `unregistered`: AIM does not know the key (`unknown_key`);
 * - `unusable`: the key was registered but has expired or been revoked;
 * - `undecided`: anything else (no answer, clock skew, a server error): nothing can be concluded.
 */
export type KeyStatus =
  | { status: 'registered'; agent?: AgentRecord; error?: AimError }
  | { status: 'unregistered' | 'unusable'; error: AimError }
  | { status: 'undecided'; error: unknown };

export async function probeKey(transport: Transport, key: SigningKey): Promise<KeyStatus> {
  try {
    return { status: 'registered', agent: unwrapAgent(await readJson(await sendSigned(transport, key, '/api/v1/agents/me'))) };
  } catch (error) {
    if (!(error instanceof AimError)) return { status: 'undecided', error };
    if (error.code === 'agent_suspended' || error.code === 'agent_revoked') return { status: 'registered', error };
    if (error.code === 'unknown_key') return { status: 'unregistered', error };
    if (error.code === 'key_expired' || error.code === 'key_revoked') return { status: 'unusable', error };
    return { status: 'undecided', error };
  }
}
