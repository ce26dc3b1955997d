import { canonicalJson, MCP_SERVER_CARD_JWS_TYP, MCP_SERVER_CARD_SIGNATURE_META_KEY } from '@aim/contracts';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { keyObjectFromRaw } from '../../../platform/crypto/ed25519.js';

/**
 * Server card verification (docs/mcp.md, "Server cards"): the card is the draft MCP server-card JSON
 * (SEP-2127); AIM's signature rides in `_meta["dev.aim/signature"]` as a detached compact JWS
 * (`<protected>..<signature>`, RFC 7515 appendix F), EdDSA, `kid` = the server key's thumbprint,
 * `typ` = `aim-mcp-server-card+jws`, over the RFC 8785 canonical JSON of the card without that member
 * (and without `_meta` when nothing else is left in it). A valid card must also name the registered
 * endpoint among its `remotes`. Pure apart from the signature check: no I/O.
 */

export type CardStatus = 'absent' | 'unsigned' | 'valid' | 'invalid';
/** Why a card is invalid, stable (a finding's key names it). */
export type CardProblem = 'malformed' | 'bad_header' | 'unknown_key' | 'bad_signature' | 'endpoint_mismatch';

export interface CardVerdict {
  status: CardStatus;
  keyId: string | null;
  message: string | null;
  problem: CardProblem | null;
}

export interface VerifyingKey {
  id: string;
  public_key: Buffer;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const invalid = (problem: CardProblem, message: string, keyId: string | null = null): CardVerdict => ({ status: 'invalid', keyId, message, problem });

/** The card as it was signed: without the signature member, and without `_meta` if that leaves it empty. */
export function unsignedCard(card: Json): Json {
  const out: Json = { ...card };
  if (!isObject(card._meta)) return out;
  const meta: Json = { ...card._meta };
  delete meta[MCP_SERVER_CARD_SIGNATURE_META_KEY];
  if (Object.keys(meta).length === 0) delete out._meta;
  else out._meta = meta;
  return out;
}

/** The bytes a card's signature covers (the JWS payload, sent detached). */
export const signingPayload = (card: Json): Buffer => Buffer.from(canonicalJson(unsignedCard(card)), 'utf8');

function sameUrl(a: unknown, b: string): boolean {
  if (typeof a !== 'string') return false;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false; // a templated URL ({tenant}…) names no endpoint AIM could compare
  }
}

function parseSignature(value: unknown): { protectedHeader: string; signature: string; header: Json } | CardVerdict {
  if (typeof value !== 'string') return invalid('malformed', `_meta["${MCP_SERVER_CARD_SIGNATURE_META_KEY}"] must be a string: a detached compact JWS.`);
  const parts = value.split('.');
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2]) {
    return invalid('malformed', `_meta["${MCP_SERVER_CARD_SIGNATURE_META_KEY}"] must be a detached compact JWS: <protected header>..<signature> (an empty payload part).`);
  }
  let header: Json;
  try {
    header = decodeProtectedHeader(value) as Json;
  } catch {
    return invalid('malformed', 'The signature’s protected header is not base64url JSON.');
  }
  return { protectedHeader: parts[0], signature: parts[2], header };
}

/**
 * Verify a fetched card (`null`: none served) with the server's active keys, for the server registered
 * at `endpoint`. Unsigned cards are `unsigned` whatever the keys; the caller decides what that means.
 */
export async function verifyServerCard(card: { document: unknown } | null, keys: readonly VerifyingKey[], endpoint: string): Promise<CardVerdict> {
  if (!card) return { status: 'absent', keyId: null, message: null, problem: null };
  const document = card.document;
  if (!isObject(document)) return invalid('malformed', 'The server card is not a JSON object.');
  const signatureValue = isObject(document._meta) ? document._meta[MCP_SERVER_CARD_SIGNATURE_META_KEY] : undefined;
  if (signatureValue === undefined) {
    return { status: 'unsigned', keyId: null, message: `The card carries no _meta["${MCP_SERVER_CARD_SIGNATURE_META_KEY}"] signature.`, problem: null };
  }
  const parsed = parseSignature(signatureValue);
  if ('status' in parsed) return parsed;
  const { header } = parsed;
  const kid = typeof header.kid === 'string' ? header.kid : null;
  if (header.alg !== 'EdDSA' || header.typ !== MCP_SERVER_CARD_JWS_TYP || !kid || header.b64 !== undefined || header.crit !== undefined) {
    return invalid('bad_header', `The signature's protected header must be {"alg":"EdDSA","kid":"<key id>","typ":"${MCP_SERVER_CARD_JWS_TYP}"}.`, kid);
  }
  const key = keys.find((k) => k.id === kid);
  if (!key) return invalid('unknown_key', `The card is signed with key ${kid}, which is not an active key of this server.`, kid);
  try {
    const jws = `${parsed.protectedHeader}.${signingPayload(document).toString('base64url')}.${parsed.signature}`;
    await compactVerify(jws, keyObjectFromRaw(key.public_key), { algorithms: ['EdDSA'] });
  } catch {
    return invalid('bad_signature', `The signature does not verify with key ${kid} over the card's canonical JSON (RFC 8785, without the signature).`, kid);
  }
  const remotes = Array.isArray(document.remotes) ? document.remotes : [];
  if (!remotes.some((remote) => isObject(remote) && sameUrl(remote.url, endpoint))) {
    return invalid('endpoint_mismatch', `The card is signed, but none of its remotes[].url is the registered endpoint ${endpoint}: it describes another server.`, kid);
  }
  return { status: 'valid', keyId: kid, message: null, problem: null };
}
