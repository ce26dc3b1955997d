import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { AimError } from './errors.js';

/**
 * The public half of an agent key as a JWK (RFC 8037).
 *
 * @example
 * ```ts
 * const jwk: Ed25519PublicJwk = publicJwk(key.publicKey);
 * ```
 */
export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/**
 * The private half as a JWK: the public JWK plus `d`. Never send it anywhere.
 *
 * @example
 * ```ts
 * signRequest({ method: 'GET', url, keyId, privateKey: { kty: 'OKP', crv: 'Ed25519', x, d } });
 * ```
 */
export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string;
}

/**
 * An agent key pair. `privateKey` is an opaque node:crypto KeyObject; inspecting it shows no key material.
 *
 * @example
 * ```ts
 * const { keyId, publicKey, privateKey }: AgentKeyPair = generateKeyPair();
 * ```
 */
export interface AgentKeyPair {
  /** The key id: the RFC 7638 thumbprint of the public key (43 characters). */
  keyId: string;
  /** The 32 raw public key bytes in base64url (the JWK `x`, 43 characters). */
  publicKey: string;
  privateKey: KeyObject;
}

/**
 * What a proof of possession proves it for (docs/agent-identity.md §2).
 *
 * @example
 * ```ts
 * const purpose: ProofPurpose = 'rotate';
 * ```
 */
export type ProofPurpose = 'register' | 'rotate';

const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/**
 * Generate a new Ed25519 key pair for an agent. The private key never leaves this process unless
 * you save it (the credentials file does, with mode 0600).
 *
 * @example
 * ```ts
 * const key = generateKeyPair();
 * console.log(key.keyId, key.publicKey); // both 43 base64url characters
 * ```
 */
export function generateKeyPair(): AgentKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  return keyPairFromPrivateKey(privateKey);
}

/**
 * The key id of an Ed25519 public key: its RFC 7638 JWK thumbprint, i.e. the SHA-256 of exactly
 * `{"crv":"Ed25519","kty":"OKP","x":"<x>"}`, in base64url without padding.
 *
 * @example
 * ```ts
 * jwkThumbprint('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k' (RFC 8037 Appendix A.3)
 * ```
 */
export function jwkThumbprint(x: string): string {
  assertRawPublicKey(x);
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'utf8').digest('base64url');
}

/**
 * The public JWK for a raw base64url public key.
 *
 * @example
 * ```ts
 * publicJwk(generateKeyPair().publicKey); // { kty: 'OKP', crv: 'Ed25519', x: '…' }
 * ```
 */
export function publicJwk(x: string): Ed25519PublicJwk {
  assertRawPublicKey(x);
  return { kty: 'OKP', crv: 'Ed25519', x };
}

/**
 * The exact bytes a proof of possession signs: five lines joined by `\n`, no trailing newline. `origin`
 * is AIM's address as the agent uses it (the normalized base URL, which also starts every signed
 * `@target-uri`), so that a proof made for one server cannot be relayed to another.
 *
 * @example
 * ```ts
 * proofMessage('register', 'https://aim.example.com', challenge, key.keyId);
 * // 'aim-proof-of-possession-v1\nregister\nhttps://aim.example.com\n<challenge>\n<keyid>'
 * ```
 */
export function proofMessage(purpose: ProofPurpose, origin: string, challenge: string, keyId: string): string {
  if (/[\r\n]/.test(challenge) || /[\r\n]/.test(origin)) throw new AimError('invalid_argument', 'A challenge or origin cannot contain a line break.');
  return ['aim-proof-of-possession-v1', purpose, origin, challenge, keyId].join('\n');
}

/**
 * Sign a challenge to prove the key is held: the 64-byte Ed25519 signature of {@link proofMessage},
 * in base64url (86 characters).
 *
 * @example
 * ```ts
 * const { challenge } = await (await fetch(`${baseUrl}/api/v1/agent-challenges`, { method: 'POST' })).json();
 * const proof = proofOfPossession(key, 'register', baseUrl, challenge);
 * ```
 */
export function proofOfPossession(key: Pick<AgentKeyPair, 'keyId' | 'privateKey'>, purpose: ProofPurpose, origin: string, challenge: string): string {
  return sign(null, Buffer.from(proofMessage(purpose, origin, challenge, key.keyId), 'utf8'), key.privateKey).toString('base64url');
}

/** Rebuild a key pair from a stored private JWK; checks that `x` belongs to `d`. */
export function keyPairFromJwk(jwk: Ed25519PrivateJwk): AgentKeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, format: 'jwk' });
  } catch {
    // The underlying message is not echoed: nothing about the key material should reach an error.
    throw new AimError('invalid_credentials', 'The stored private key is not a valid Ed25519 JWK.');
  }
  const pair = keyPairFromPrivateKey(privateKey);
  if (pair.publicKey !== jwk.x) throw new AimError('invalid_credentials', 'The stored private key does not match its public key.');
  return pair;
}

/** The private JWK of a key pair, for the credentials file. */
export function exportPrivateJwk(privateKey: KeyObject): Ed25519PrivateJwk {
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.d !== 'string') {
    throw new AimError('invalid_argument', 'Not an Ed25519 private key.');
  }
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d };
}

/** Accept a KeyObject or a private JWK wherever a private key is asked for. */
export function toPrivateKeyObject(key: KeyObject | Ed25519PrivateJwk): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new AimError('invalid_argument', 'Not an Ed25519 private key.');
    return key;
  }
  return keyPairFromJwk(key).privateKey;
}

function keyPairFromPrivateKey(privateKey: KeyObject): AgentKeyPair {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof x !== 'string') throw new AimError('invalid_argument', 'Not an Ed25519 key.');
  return { keyId: jwkThumbprint(x), publicKey: x, privateKey };
}

function assertRawPublicKey(x: string): void {
  if (typeof x !== 'string' || !BASE64URL_32_BYTES.test(x)) {
    throw new AimError('invalid_argument', 'An Ed25519 public key is 32 bytes in base64url without padding (43 characters).');
  }
}
