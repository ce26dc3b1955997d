import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AimError } from './errors.js';
import { toPrivateKeyObject, type Ed25519PrivateJwk } from './keys.js';

/**
 * HTTP Message Signatures (RFC 9421) as AIM accepts them (docs/agent-identity.md §4). Everything here
 * is pure except the clock and the nonce's randomness, which {@link signRequest} lets you fix.
 */

/** The label of the one Signature-Input / Signature member the SDK sends. */
export const SIGNATURE_LABEL = 'aim';

/**
 * The parameters of a signature, in the order they are sent.
 *
 * @example
 * ```ts
 * const params: SignatureParameters = { created: Math.floor(Date.now() / 1000), nonce: createNonce(), keyId };
 * ```
 */
export interface SignatureParameters {
  /** Unix time in seconds when the signature was made. */
  created: number;
  /** 16–128 characters of `A–Z a–z 0–9 - _ . ~ + / =`, new for every request. */
  nonce: string;
  /** The signing key's RFC 7638 thumbprint. */
  keyId: string;
}

/** The parts of a request that a signature covers. */
export interface RequestToSign {
  /** The method; sent and signed in upper case. */
  method: string;
  /** The absolute URL the request goes to, exactly as it will be sent. */
  url: string | URL;
  /** The exact body bytes sent (a string is sent as UTF-8). Empty or absent: no Content-Digest. */
  body?: Uint8Array | string | null;
}

/**
 * What {@link signRequest} needs.
 *
 * @example
 * ```ts
 * const input: SignRequestInput = { method: 'POST', url, body, keyId, privateKey };
 * ```
 */
export interface SignRequestInput extends RequestToSign {
  keyId: string;
  privateKey: KeyObject | Ed25519PrivateJwk;
  /** Defaults to now. */
  created?: number;
  /** Defaults to 16 random bytes in base64url. */
  nonce?: string;
}

/**
 * The headers a signed request carries (lower-case names; HTTP header names are case-insensitive).
 *
 * @example
 * ```ts
 * const headers: SignatureHeaders = signRequest({ method: 'GET', url, keyId, privateKey });
 * // { 'signature-input': 'aim=("@method" "@target-uri");created=…', signature: 'aim=:…:' }
 * ```
 */
export interface SignatureHeaders {
  'signature-input': string;
  signature: string;
  /** Present when the request has a body. */
  'content-digest'?: string;
}

const NONCE = /^[A-Za-z0-9\-_.~+/=]{16,128}$/;
const KEY_ID = /^[A-Za-z0-9_-]{43}$/;
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The RFC 9530 `Content-Digest` value of a body: `sha-256=:<standard base64>:`.
 *
 * @example
 * ```ts
 * contentDigest('{"hello": "world"}');
 * // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 * ```
 */
export function contentDigest(body: Uint8Array | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`;
}

/**
 * The `@target-uri` of a request: `<scheme>://<host>[:<port>]<path>[?<query>]`, the port left out when
 * it is the scheme's default, path and query as the WHATWG URL parser (and so `fetch`) sends them, and
 * no fragment.
 *
 * @example
 * ```ts
 * targetUri('https://AIM.example.com:443/api/v1/agents/me?x=1#top');
 * // 'https://aim.example.com/api/v1/agents/me?x=1'
 * ```
 */
export function targetUri(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AimError('invalid_argument', 'A signed request needs an absolute http(s) URL.');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AimError('invalid_argument', 'A signed request needs an absolute http(s) URL.');
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search}`;
}

/**
 * The covered components and parameters in their canonical Structured Fields form: the value of the
 * Signature-Input member and of the `@signature-params` line.
 *
 * @example
 * ```ts
 * serializeSignatureParams(['@method', '@target-uri'], { created: 1764273600, nonce, keyId });
 * // '("@method" "@target-uri");created=1764273600;nonce="…";keyid="…";alg="ed25519"'
 * ```
 */
export function serializeSignatureParams(components: readonly string[], params: SignatureParameters): string {
  assertParameters(params);
  const list = components.map((name) => `"${name}"`).join(' ');
  return `(${list});created=${params.created};nonce="${params.nonce}";keyid="${params.keyId}";alg="ed25519"`;
}

/**
 * The RFC 9421 signature base AIM verifies: one `"<component>": <value>` line per covered component
 * (`@method`, `@target-uri`, and `content-digest` when given), then the `@signature-params` line; lines
 * joined by `\n`, no newline at the end.
 *
 * @example
 * ```ts
 * createSignatureBase(
 *   { method: 'POST', url: 'https://aim.example.com/api/v1/oauth/token?x=1', contentDigest: contentDigest(body) },
 *   { created: 1764273600, nonce: 'k3W3o1qQ5n0Y3t8dXh2u9A', keyId },
 * );
 * ```
 */
export function createSignatureBase(
  request: { method: string; url: string | URL; contentDigest?: string },
  params: SignatureParameters,
): string {
  const values: [string, string][] = [
    ['@method', normalizeMethod(request.method)],
    ['@target-uri', targetUri(request.url)],
  ];
  if (request.contentDigest !== undefined) values.push(['content-digest', request.contentDigest]);
  const signatureParams = serializeSignatureParams(
    values.map(([name]) => name),
    params,
  );
  return [...values.map(([name, value]) => `"${name}": ${value}`), `"@signature-params": ${signatureParams}`].join('\n');
}

/**
 * Sign a request and return the headers to add to it: `Signature-Input`, `Signature` and, when there
 * is a body, `Content-Digest`. For callers with their own HTTP client; send the method in upper case,
 * the URL unchanged and exactly these body bytes.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ grant_type: 'client_credentials' });
 * const headers = signRequest({ method: 'POST', url: `${baseUrl}/api/v1/oauth/token`, body, keyId, privateKey });
 * await fetch(`${baseUrl}/api/v1/oauth/token`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json', ...headers },
 *   body,
 * });
 * ```
 */
export function signRequest(input: SignRequestInput): SignatureHeaders {
  const params: SignatureParameters = {
    created: input.created ?? Math.floor(Date.now() / 1000),
    nonce: input.nonce ?? createNonce(),
    keyId: input.keyId,
  };
  const hasBody = input.body !== undefined && input.body !== null && input.body.length > 0;
  const digest = hasBody ? contentDigest(input.body as Uint8Array | string) : undefined;
  const base = createSignatureBase({ method: input.method, url: input.url, ...(digest ? { contentDigest: digest } : {}) }, params);
  const signature = sign(null, Buffer.from(base, 'utf8'), toPrivateKeyObject(input.privateKey)).toString('base64');
  const components = digest ? ['@method', '@target-uri', 'content-digest'] : ['@method', '@target-uri'];
  const headers: SignatureHeaders = {
    'signature-input': `${SIGNATURE_LABEL}=${serializeSignatureParams(components, params)}`,
    signature: `${SIGNATURE_LABEL}=:${signature}:`,
  };
  if (digest) headers['content-digest'] = digest;
  return headers;
}

/**
 * A fresh nonce: 16 random bytes in base64url (22 characters).
 *
 * @example
 * ```ts
 * createNonce(); // 'k3W3o1qQ5n0Y3t8dXh2u9A'
 * ```
 */
export function createNonce(): string {
  return randomBytes(16).toString('base64url');
}

function normalizeMethod(method: string): string {
  if (!METHOD.test(method)) throw new AimError('invalid_argument', 'The HTTP method is not a valid token.');
  return method.toUpperCase();
}

function assertParameters(params: SignatureParameters): void {
  if (!Number.isSafeInteger(params.created) || params.created < 0) {
    throw new AimError('invalid_argument', 'created must be a non-negative integer (Unix seconds).');
  }
  if (!NONCE.test(params.nonce)) {
    throw new AimError('invalid_argument', 'A nonce is 16–128 characters of A–Z a–z 0–9 - _ . ~ + / =.');
  }
  if (!KEY_ID.test(params.keyId)) throw new AimError('invalid_argument', 'A key id is 43 base64url characters.');
}
