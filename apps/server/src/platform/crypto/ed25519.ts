import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AppError } from '../http/app-error.js';

/**
 * Ed25519 public keys as agents present them: a JWK (kty OKP, crv Ed25519) or the raw 32 bytes in
 * base64url. Beyond the length, a key must be a canonical encoding of a point on the curve that
 * is not of small order: OpenSSL's verification accepts such keys, and for them a signature can
 * be forged without any private key, which would make proof of possession meaningless.
 */
export interface Ed25519PublicKey {
  /** The raw 32 bytes. */
  raw: Buffer;
  /** base64url of the raw bytes: the JWK's `x`. */
  x: string;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url): the key id. */
  thumbprint: string;
  keyObject: KeyObject;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export function decodeBase64url(value: string): Buffer | null {
  if (!B64URL.test(value) || value.length % 4 === 1) return null;
  const bytes = Buffer.from(value, 'base64url');
  // Refuse non-canonical encodings (stray bits in the last character).
  return bytes.toString('base64url') === value ? bytes : null;
}

export function thumbprintOf(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'utf8').digest('base64url');
}

export function publicJwk(raw: Buffer): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  return { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') };
}

/** A KeyObject for 32 raw bytes already known to be a valid key (from the database). */
export function keyObjectFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: publicJwk(raw), format: 'jwk' });
}

/** Parse and validate a submitted public key; throws AppError with a precise code. */
export function parsePublicKey(input: unknown): Ed25519PublicKey {
  let x: string;
  if (typeof input === 'string') {
    x = input;
  } else if (input && typeof input === 'object') {
    const jwk = input as Record<string, unknown>;
    if ('d' in jwk) {
      throw new AppError('private_key_submitted', 'The JWK contains a private key (d). Send only the public part; the private key must never leave the agent.');
    }
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
      throw new AppError('unsupported_key_type', `Only Ed25519 keys are accepted (kty OKP, crv Ed25519); got kty ${String(jwk.kty)}, crv ${String(jwk.crv)}.`);
    }
    if (typeof jwk.x !== 'string') throw new AppError('invalid_public_key', 'The JWK has no x (the public key in base64url).');
    x = jwk.x;
  } else {
    throw new AppError('invalid_public_key', 'The public key must be a JWK object or 43 base64url characters.');
  }
  const raw = decodeBase64url(x);
  if (!raw || raw.length !== 32) {
    throw new AppError('invalid_public_key', 'An Ed25519 public key is 32 bytes: 43 base64url characters without padding.');
  }
  const problem = pointProblem(raw);
  if (problem) throw new AppError('invalid_public_key', `The public key is not usable: ${problem}.`);
  return { raw, x, thumbprint: thumbprintOf(x), keyObject: keyObjectFromRaw(raw) };
}

export function verifyEd25519(key: KeyObject, message: Buffer | string, signature: Buffer): boolean {
  if (signature.length !== 64) return false;
  return verify(null, typeof message === 'string' ? Buffer.from(message, 'utf8') : message, key, signature);
}

// --- Edwards25519 point checks (RFC 8032 §5.1.3 decoding), on BigInt: run once per registration.

const P = (1n << 255n) - 19n;
const D = mod(-121665n * inverse(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}
function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}
function inverse(a: bigint): bigint {
  return pow(a, P - 2n);
}

/** Why 32 bytes are not an acceptable public key, or null when they are. */
export function pointProblem(raw: Buffer): string | null {
  const bytes = Buffer.from(raw);
  const sign = bytes[31]! >> 7;
  bytes[31]! &= 0x7f;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(bytes[i]!);
  if (y >= P) return 'it is not a canonical encoding';
  const yy = (y * y) % P;
  const u = mod(yy - 1n);
  const v = mod(D * yy + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vxx = mod(v * x * x);
  if (vxx !== u) {
    if (vxx === mod(-u)) x = mod(x * SQRT_M1);
    else return 'it is not a point on the Ed25519 curve';
  }
  if (x === 0n && sign === 1) return 'it is not a canonical encoding';
  if ((x & 1n) !== BigInt(sign)) x = mod(-x);
  // Small order: [8]P is the identity.
  let point = { x, y };
  for (let i = 0; i < 3; i++) point = double(point);
  if (point.x === 0n && point.y === 1n) return 'it has small order, so signatures under it can be forged';
  return null;
}

function double({ x, y }: { x: bigint; y: bigint }): { x: bigint; y: bigint } {
  const xy = (x * y) % P;
  const dxxyy = mod(D * xy * xy);
  return {
    x: mod(2n * xy * inverse(mod(1n + dxxyy))),
    y: mod((y * y + x * x) * inverse(mod(1n - dxxyy))),
  };
}
