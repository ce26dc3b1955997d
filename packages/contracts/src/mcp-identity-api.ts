import { z } from 'zod';
import { keyIdSchema, publicJwkSchema } from './agents.js';
import { mcpServerIdSchema } from './mcp-servers.js';

/**
 * Request bodies and answers of the MCP identity operations (docs/mcp.md, "Identity"): Ed25519 keys an
 * MCP server holds, registered with proof of possession (the agents' protocol with a purpose of its
 * own), and the signed server card AIM verifies with them on every scan.
 */

const timestamp = z.string().describe('RFC 3339 timestamp');

/** An MCP server holds at most this many active keys (revoke one to add another). */
export const MAX_ACTIVE_MCP_SERVER_KEYS = 5;

/**
 * The purpose line of a server key's proof of possession: `mcp-server-key:<mcpServerId>`. The agents'
 * purposes are `register` and `rotate`, so a proof made for one can never register the other, and a
 * proof made for one server cannot register the key on another.
 */
export const mcpServerKeyProofPurpose = (mcpServerId: string) => `mcp-server-key:${mcpServerId}` as const;

/**
 * The `.well-known` location of a server card: this path on the origin of the server's Streamable HTTP
 * endpoint (SEP-1649). The scanner looks at `<endpoint>/server-card` (SEP-2127's reserved location) first.
 */
export const MCP_SERVER_CARD_WELL_KNOWN_PATH = '/.well-known/mcp/server-card.json';

/**
 * The `_meta` member of a server card that carries AIM's signature: a detached compact JWS (RFC 7515
 * appendix F: `<protected>..<signature>`) over the RFC 8785 canonical JSON of the card without it.
 */
export const MCP_SERVER_CARD_SIGNATURE_META_KEY = 'dev.aim/signature';

/** The `typ` of a server card signature's protected header: a card signature is nothing else. */
export const MCP_SERVER_CARD_JWS_TYP = 'aim-mcp-server-card+jws';

const challenge = z.string().min(20).max(200).describe('From POST /api/v1/agent-challenges (the same single-use challenges agents use)');
const proof = z.string().regex(/^[A-Za-z0-9_-]{86}$/, { message: 'must be an Ed25519 signature: 86 base64url characters' });

export const registerMcpServerKeySchema = z
  .object({
    publicKeyJwk: z
      .object({ kty: z.string(), crv: z.string().optional(), x: z.string().optional(), d: z.string().optional() })
      .passthrough()
      .describe('The public key as a JWK: {"kty":"OKP","crv":"Ed25519","x":"…"}'),
    challenge,
    proof: proof.describe(
      'base64url Ed25519 signature of "aim-proof-of-possession-v1\\nmcp-server-key:<mcpServerId>\\n<AIM origin>\\n<challenge>\\n<key id>" (docs/mcp.md)',
    ),
  })
  .meta({
    id: 'RegisterMcpServerKey',
    examples: [
      {
        publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
        challenge: 'AAAAaXQ1cHNhbXBsZS1jaGFsbGVuZ2UtdmFsdWUtMDAwMDAwMDA',
        proof: 'A'.repeat(86),
      },
    ],
  });

export const MCP_SERVER_KEY_STATUSES = ['active', 'revoked'] as const;

const keyActor = z.object({ type: z.enum(['user', 'api_key']), id: z.string() });

export const mcpServerKeySchema = z
  .object({
    id: keyIdSchema.describe("The key id: the key's RFC 7638 JWK thumbprint, the `kid` of the server card's signature"),
    mcpServerId: mcpServerIdSchema,
    publicKeyJwk: publicJwkSchema,
    status: z.enum(MCP_SERVER_KEY_STATUSES),
    createdBy: keyActor,
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
    revokedReason: z.string().nullable(),
  })
  .meta({ id: 'McpServerKey' });
export type McpServerKeyJson = z.infer<typeof mcpServerKeySchema>;

export const mcpServerKeyEnvelopeSchema = z.object({ key: mcpServerKeySchema }).meta({ id: 'McpServerKeyEnvelope' });

export const mcpServerKeyParamsSchema = z.object({ mcpServerId: mcpServerIdSchema, keyId: keyIdSchema });

export const mcpServerKeyListQuerySchema = z.object({
  status: z.enum(MCP_SERVER_KEY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: keyIdSchema.optional().describe('nextCursor of the previous page'),
});

export const mcpServerKeyListSchema = z
  .object({
    keys: z.array(mcpServerKeySchema).describe('Newest first'),
    nextCursor: keyIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'McpServerKeyList' });

export const revokeMcpServerKeySchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'RevokeMcpServerKey', examples: [{ reason: 'the host was rebuilt' }] });
