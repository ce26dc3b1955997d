import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseDictionary, serializeInnerList, type InnerList } from 'structured-headers';
import { AppError } from '../http/app-error.js';

/**
 * HTTP Message Signatures (RFC 9421) as AIM accepts them from agents, and Content-Digest
 * (RFC 9530). The profile — required components and parameters, time window, nonce rules — is
 * docs/agent-identity.md §4; this module parses the two headers and rebuilds the signature base
 * from the request as received. It holds no state and does no I/O.
 */
export const MAX_AGE_SECONDS = 300;
export const MAX_FUTURE_SECONDS = 5;
/**
 * How long a nonce is remembered: twice as long as any signature is accepted, so that instances whose
 * clocks disagree by up to the window itself still refuse a replay.
 */
export const NONCE_TTL_MS = 2 * (MAX_AGE_SECONDS + MAX_FUTURE_SECONDS) * 1000;

const DERIVED = new Set(['@method', '@target-uri', '@authority', '@scheme', '@path', '@query']);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const NONCE = /^[A-Za-z0-9._~+/=-]{16,128}$/;
const KEY_ID = /^[A-Za-z0-9_-]{43}$/;
const ALLOWED_PARAMS = new Set(['created', 'expires', 'nonce', 'keyid', 'alg', 'tag']);

/** The parts of a request the signature base is built from. */
export interface SignedRequestParts {
  method: string;
  /**
   * scheme://authority as AIM is addressed (no trailing slash, default port omitted), followed by the
   * path prefix of AIM's public URL when it is served under one.
   */
  origin: string;
  /** The request target exactly as sent on the request line: path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** True when the request carries a body (Content-Length above 0, or Transfer-Encoding). */
  hasBody: boolean;
}

export interface ParsedSignature {
  components: string[];
  created: number;
  expires: number | null;
  nonce: string;
  keyId: string;
  signature: Buffer;
  /** The signature base: the bytes the agent signed. */
  base: Buffer;
}

const malformed = (message: string) => new AppError('malformed_signature', message);

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.map((v) => v.trim()).join(', ') : value.trim());
}

/** True when the request has Signature-Input (it means to authenticate by signature). */
export function hasSignature(headers: IncomingHttpHeaders): boolean {
  return headers['signature-input'] !== undefined || headers.signature !== undefined;
}

function componentValue(name: string, parts: SignedRequestParts): string {
  const q = parts.url.indexOf('?');
  switch (name) {
    case '@method':
      return parts.method.toUpperCase();
    case '@target-uri':
      return parts.origin + parts.url;
    case '@authority': {
      const authority = parts.origin.slice(parts.origin.indexOf('://') + 3);
      const slash = authority.indexOf('/');
      return (slash === -1 ? authority : authority.slice(0, slash)).toLowerCase();
    }
    case '@scheme':
      return parts.origin.slice(0, parts.origin.indexOf('://')).toLowerCase();
    case '@path':
      return q === -1 ? parts.url : parts.url.slice(0, q);
    case '@query':
      return q === -1 ? '?' : parts.url.slice(q);
    default: {
      const value = headerValue(parts.headers, name);
      if (value === undefined) throw malformed(`The signature covers the header "${name}", which the request does not carry.`);
      return value;
    }
  }
}

/** Parse Signature-Input and Signature and build the signature base; throws malformed_signature. */
export function parseSignedRequest(parts: SignedRequestParts): ParsedSignature {
  const inputHeader = headerValue(parts.headers, 'signature-input');
  const signatureHeader = headerValue(parts.headers, 'signature');
  if (!inputHeader || !signatureHeader) throw malformed('A signed request needs both Signature-Input and Signature headers.');
  let inputs, signatures;
  try {
    inputs = parseDictionary(inputHeader);
    signatures = parseDictionary(signatureHeader);
  } catch {
    throw malformed('Signature-Input and Signature must be Structured Field dictionaries (RFC 8941).');
  }
  if (inputs.size !== 1) throw malformed(`Send exactly one signature; Signature-Input has ${inputs.size} members.`);
  const [label, input] = [...inputs][0]!;
  const signatureItem = signatures.get(label);
  if (!signatureItem || Array.isArray(signatureItem[0]) || !(signatureItem[0] instanceof ArrayBuffer)) {
    throw malformed(`Signature must carry a byte sequence (:base64:) under the label "${label}" used in Signature-Input.`);
  }
  if (!Array.isArray(input[0])) throw malformed('The Signature-Input member must be an inner list of covered components.');
  const [items, params] = input as InnerList;

  const components: string[] = [];
  for (const [name, itemParams] of items) {
    if (typeof name !== 'string') throw malformed('Covered components must be quoted strings, e.g. "@method".');
    if (itemParams.size > 0) throw malformed(`Component parameters (such as ;${[...itemParams.keys()][0]}) are not supported.`);
    if (!DERIVED.has(name) && !HEADER_NAME.test(name)) throw malformed(`"${name}" is not a supported component.`);
    if (components.includes(name)) throw malformed(`The component "${name}" is listed twice.`);
    components.push(name);
  }
  for (const required of ['@method', '@target-uri']) {
    if (!components.includes(required)) throw malformed(`The signature must cover "${required}".`);
  }
  if (parts.hasBody && !components.includes('content-digest')) {
    throw malformed('The request has a body: send Content-Digest and cover "content-digest" in the signature.');
  }
  for (const key of params.keys()) {
    if (!ALLOWED_PARAMS.has(key)) throw malformed(`The signature parameter "${key}" is not supported.`);
  }
  const created = params.get('created');
  const expires = params.get('expires');
  const nonce = params.get('nonce');
  const keyId = params.get('keyid');
  const alg = params.get('alg');
  if (typeof created !== 'number' || !Number.isInteger(created)) throw malformed('The signature needs created=<Unix seconds>.');
  if (expires !== undefined && (typeof expires !== 'number' || !Number.isInteger(expires))) throw malformed('expires must be an integer.');
  if (typeof nonce !== 'string' || !NONCE.test(nonce)) {
    throw malformed('The signature needs nonce="…": 16 to 128 characters of A-Z a-z 0-9 - _ . ~ + / =, new for every request.');
  }
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) throw malformed('The signature needs keyid="<the key\'s 43-character thumbprint>".');
  if (alg !== undefined && alg !== 'ed25519') throw malformed(`Only alg="ed25519" is accepted, not ${String(alg)}.`);

  const lines = components.map((name) => `"${name}": ${componentValue(name, parts)}`);
  lines.push(`"@signature-params": ${serializeInnerList(input as InnerList)}`);
  for (const line of lines) {
    if (/[\r\n]/.test(line)) throw malformed('A covered component value contains a line break.');
  }
  return {
    components,
    created,
    expires: typeof expires === 'number' ? expires : null,
    nonce,
    keyId,
    signature: Buffer.from(signatureItem[0]),
    base: Buffer.from(lines.join('\n'), 'utf8'),
  };
}

/** Check created/expires against the clock; throws stale_signature with the skew. */
export function checkSignatureTime(parsed: Pick<ParsedSignature, 'created' | 'expires'>, nowMs: number): void {
  const now = Math.floor(nowMs / 1000);
  const skew = now - parsed.created;
  const details = { created: parsed.created, serverTime: now, skewSeconds: skew };
  if (skew > MAX_AGE_SECONDS) {
    throw new AppError('stale_signature', `The signature was created ${skew} s ago; signatures are accepted for ${MAX_AGE_SECONDS} s. Check the agent's clock.`, { details });
  }
  if (skew < -MAX_FUTURE_SECONDS) {
    throw new AppError('stale_signature', `The signature was created ${-skew} s in the future; the agent's clock is ahead of AIM's.`, { details });
  }
  if (parsed.expires !== null && parsed.expires <= now) {
    throw new AppError('stale_signature', `The signature expired ${now - parsed.expires} s ago (its expires parameter).`, { details });
  }
}

/** Compare a Content-Digest header with the body received; throws digest_mismatch. */
export function checkContentDigest(header: string | undefined, body: Buffer): void {
  if (header === undefined) throw new AppError('digest_mismatch', 'The request has a body but no Content-Digest header.');
  let digests;
  try {
    digests = parseDictionary(header);
  } catch {
    throw new AppError('digest_mismatch', 'Content-Digest must be a dictionary such as sha-256=:<base64>:.');
  }
  const entry = digests.get('sha-256');
  if (!entry || !(entry[0] instanceof ArrayBuffer)) {
    throw new AppError('digest_mismatch', 'Content-Digest must include sha-256=:<base64 of the SHA-256 of the body>:.');
  }
  const expected = createHash('sha256').update(body).digest();
  if (!expected.equals(Buffer.from(entry[0]))) {
    throw new AppError('digest_mismatch', 'The body does not match its Content-Digest: it was altered, or the digest was computed over other bytes.');
  }
}
