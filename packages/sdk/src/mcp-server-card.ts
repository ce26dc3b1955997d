import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { AimError } from './errors.js';
import { signCompactJws } from './client-assertion.js';
import { jwkThumbprint, toPrivateKeyObject, type Ed25519PrivateJwk } from './keys.js';
import { canonicalJson } from './mcp/fingerprints.generated.js';

/**
 * For MCP server operators (docs/mcp.md, "Identity"): prove an MCP server's Ed25519 key to AIM when
 * registering it, and sign the server card AIM verifies on every scan.
 *
 * A signed card is the draft MCP server card (SEP-2127) with one extra member,
 * `_meta["dev.aim/signature"]`: a detached compact JWS (`<protected>..<signature>`) whose protected
 * header is `{"alg":"EdDSA","kid":"<key id>","typ":"aim-mcp-server-card+jws"}` and whose payload — not
 * sent — is the RFC 8785 canonical JSON of the card without that member (and without `_meta` when
 * nothing else is in it).
 */

/** The `_meta` member that carries the signature. */
export const SERVER_CARD_SIGNATURE_META_KEY = 'dev.aim/signature';
/** The `typ` of a card signature's protected header. */
export const SERVER_CARD_JWS_TYP = 'aim-mcp-server-card+jws';

/** A server key: the private key, and its key id (the RFC 7638 thumbprint; computed when omitted). */
export interface ServerCardKey {
  privateKey: KeyObject | Ed25519PrivateJwk;
  keyId?: string;
}

type JsonObject = Record<string, unknown>;

/** RFC 8785 canonical JSON of the card (the contract's one implementation); NaN and Infinity are not JSON. */
function canonicalCard(card: JsonObject): string {
  try {
    return canonicalJson(card);
  } catch (error) {
    if (error instanceof TypeError) throw new AimError('invalid_argument', 'A server card cannot hold NaN or Infinity.');
    throw error;
  }
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The card as it is signed: without the signature member, and without `_meta` if that leaves it empty. */
export function unsignedServerCard(card: JsonObject): JsonObject {
  const out: JsonObject = { ...card };
  if (!isObject(card._meta)) return out;
  const meta: JsonObject = { ...card._meta };
  delete meta[SERVER_CARD_SIGNATURE_META_KEY];
  if (Object.keys(meta).length === 0) delete out._meta;
  else out._meta = meta;
  return out;
}

function keyIdOf(key: ServerCardKey): string {
  if (key.keyId) return key.keyId;
  const { x } = createPublicKey(toPrivateKeyObject(key.privateKey)).export({ format: 'jwk' });
  return jwkThumbprint(x as string);
}

/**
 * Sign a server card with the server's key: answers a copy of the card carrying the signature (an
 * earlier signature is replaced). Serve it as JSON at `<endpoint>/server-card` or at
 * `/.well-known/mcp/server-card.json` on the endpoint's origin; its `remotes` must name the endpoint
 * registered in AIM.
 *
 * @example
 * ```ts
 * const card = signServerCard(
 *   { $schema: 'https://static.modelcontextprotocol.io/schemas/v2/server-card.schema.json', name: 'com.example/weather',
 *     version: '1.0.0', description: 'Weather forecasts', remotes: [{ type: 'streamable-http', url: 'https://weather.example.com/mcp' }] },
 *   { privateKey },
 * );
 * ```
 */
export function signServerCard<T extends JsonObject>(card: T, key: ServerCardKey): T & { _meta: JsonObject } {
  if (!isObject(card)) throw new AimError('invalid_argument', 'A server card is a JSON object.');
  const payload = canonicalCard(unsignedServerCard(card));
  const [header, , signature] = signCompactJws({ alg: 'EdDSA', kid: keyIdOf(key), typ: SERVER_CARD_JWS_TYP }, payload, key.privateKey).split('.');
  const meta = isObject(card._meta) ? card._meta : {};
  return { ...card, _meta: { ...meta, [SERVER_CARD_SIGNATURE_META_KEY]: `${header}..${signature}` } };
}

/**
 * The proof of possession for registering a server key (`POST /api/v1/mcp-servers/{id}/keys`): the
 * base64url Ed25519 signature of
 * `aim-proof-of-possession-v1\nmcp-server-key:<mcpServerId>\n<AIM origin>\n<challenge>\n<key id>`.
 *
 * @example
 * ```ts
 * const { challenge } = await (await fetch(`${aim}/api/v1/agent-challenges`, { method: 'POST' })).json();
 * const proof = mcpServerKeyProof({ privateKey }, 'mcp_…', aim, challenge);
 * ```
 */
export function mcpServerKeyProof(key: ServerCardKey, mcpServerId: string, origin: string, challenge: string): string {
  if ([mcpServerId, origin, challenge].some((part) => /[\r\n]/.test(part))) throw new AimError('invalid_argument', 'A server id, challenge or origin cannot contain a line break.');
  const message = ['aim-proof-of-possession-v1', `mcp-server-key:${mcpServerId}`, origin, challenge, keyIdOf(key)].join('\n');
  return sign(null, Buffer.from(message, 'utf8'), toPrivateKeyObject(key.privateKey)).toString('base64url');
}
