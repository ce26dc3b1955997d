import { z } from 'zod';
import { organizationIdSchema, userIdSchema } from './people.js';

/**
 * Agents, their Ed25519 keys, enrollment tokens, challenges and agent tokens. The wire protocol
 * (proof of possession, signed requests, tokens) is described in docs/agent-identity.md.
 */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });
export const agentIdSchema = id('agt');
export const enrollmentTokenIdSchema = id('enr');
const timestamp = z.string().describe('RFC 3339 timestamp');

/** The 43-character base64url form of 32 bytes (keys, key ids). */
const base64url43 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be 43 base64url characters (32 bytes, no padding)' });

export const keyIdSchema = base64url43.describe("A key's RFC 7638 JWK thumbprint (SHA-256, base64url)");

export const AGENT_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export const agentStatusSchema = z.enum(AGENT_STATUSES).meta({ id: 'AgentStatus', description: 'suspended is reversible; revoked is final' });

/** Trust tiers; `unscored` until trust scoring has computed a score for the agent. */
export const TRUST_TIERS = ['unscored', 'untrusted', 'low', 'medium', 'high', 'verified'] as const;
export type TrustTier = (typeof TRUST_TIERS)[number];
export const trustTierSchema = z.enum(TRUST_TIERS).meta({ id: 'TrustTier' });

export const AGENT_KEY_STATUSES = ['active', 'rotating_out', 'expired', 'revoked'] as const;
export const agentKeyStatusSchema = z.enum(AGENT_KEY_STATUSES).meta({
  id: 'AgentKeyStatus',
  description: 'rotating_out: replaced by a rotation, still accepted until expiresAt',
});

/** A public key as a JWK (OKP / Ed25519) or as 43 base64url characters of the raw key. */
export const publicKeyInputSchema = z
  .union([
    base64url43,
    z
      .object({ kty: z.string(), crv: z.string().optional(), x: z.string().optional(), d: z.string().optional() })
      .passthrough()
      .describe('A JWK: {"kty":"OKP","crv":"Ed25519","x":"…"}'),
  ])
  .meta({ id: 'PublicKeyInput', description: 'Ed25519 public key: a JWK, or the raw 32 bytes in base64url' });

export const publicJwkSchema = z
  .object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: base64url43 })
  .meta({ id: 'Ed25519PublicJwk' });

const challenge = z.string().min(20).max(200).describe('From POST /api/v1/agent-challenges');
const proof = z.string().regex(/^[A-Za-z0-9_-]{86}$/, { message: 'must be an Ed25519 signature: 86 base64url characters' });
const agentName = z.string().trim().min(1, { message: 'must not be empty' }).max(100);
export const tagSchema = z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,39}$/, { message: 'tags are lower case: a-z, 0-9 and _ . : -, up to 40 characters' });
const metadata = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 4096, { message: 'must be at most 4 KiB as JSON' })
  .describe('Free-form JSON object, at most 4 KiB');
const capabilityName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}:[a-z0-9_*-][a-z0-9_*.-]{0,59}$/, {
  message: 'must look like resource:action, e.g. db:read',
});

export const DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export const dataClassificationSchema = z
  .enum(DATA_CLASSIFICATIONS)
  .meta({ id: 'DataClassification', description: 'How sensitive the data the agent handles is (trust scoring counts it as required metadata)' });
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

export const challengeSchema = z
  .object({ challenge: z.string(), expiresAt: timestamp })
  .meta({ id: 'AgentChallenge', description: 'Single use; sign it with the key you register (docs/agent-identity.md §2)' });

export const agentKeySchema = z
  .object({
    id: keyIdSchema,
    publicKey: publicJwkSchema,
    status: agentKeyStatusSchema,
    createdAt: timestamp,
    expiresAt: timestamp.nullable().describe('When a rotated-out key stops being accepted'),
    revokedAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
  })
  .meta({ id: 'AgentKey' });

export const agentSchema = z
  .object({
    id: agentIdSchema,
    organizationId: organizationIdSchema,
    name: z.string(),
    description: z.string().nullable(),
    purpose: z.string().nullable(),
    ownerId: userIdSchema.nullable(),
    tags: z.array(z.string()),
    metadata: z.record(z.string(), z.unknown()),
    status: agentStatusSchema,
    trustTier: trustTierSchema,
    trustScore: z.number().nullable().describe('0–100; null until trust scoring has scored the agent, or while no factor has evidence'),
    trustConfidence: z.number().nullable().describe('The share of the factor weight the score rests on (0–1); null until scored'),
    trustComputedAt: timestamp.nullable(),
    dataClassification: dataClassificationSchema.nullable(),
    requestedCapabilities: z.array(z.string()).describe('Capabilities asked for at self-registration'),
    enrolledWith: enrollmentTokenIdSchema.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    statusChangedAt: timestamp,
    lastSeenAt: timestamp.nullable(),
    keys: z.array(agentKeySchema),
  })
  .meta({ id: 'Agent' });
export type AgentJson = z.infer<typeof agentSchema>;

export const agentEnvelopeSchema = z.object({ agent: agentSchema }).meta({ id: 'AgentEnvelope' });

export const agentIdentitySchema = z
  .object({
    agentId: agentIdSchema,
    organizationId: organizationIdSchema,
    keyId: keyIdSchema.describe('The key that signed this request, or that obtained the token'),
    status: agentStatusSchema,
    trustTier: trustTierSchema,
    authenticatedBy: z.enum(['signature', 'token']),
  })
  .meta({ id: 'AgentIdentity', description: 'Who AIM takes the caller to be, from the request’s own authentication' });

const profile = {
  description: z.string().trim().max(2000).optional(),
  dataClassification: dataClassificationSchema.optional(),
  purpose: z.string().trim().max(500).optional(),
  tags: z.array(tagSchema).max(20).optional(),
  metadata: metadata.optional(),
};

export const registerAgentSchema = z
  .object({
    name: agentName,
    ...profile,
    ownerId: userIdSchema.optional().describe('Defaults to you; only managers and admins may name someone else'),
    publicKey: publicKeyInputSchema,
    challenge,
    proof,
  })
  .meta({
    id: 'RegisterAgent',
    examples: [
      {
        name: 'invoice-bot',
        purpose: 'Reconciles supplier invoices',
        tags: ['finance'],
        publicKey: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
        challenge: '<from POST /api/v1/agent-challenges>',
        proof: '<86 base64url characters>',
      },
    ],
  });

export const enrollAgentSchema = z
  .object({
    enrollmentToken: z.string().min(1).max(200),
    name: agentName.optional().describe("Defaults to the token's name"),
    ...profile,
    publicKey: publicKeyInputSchema,
    challenge,
    proof,
  })
  .meta({ id: 'EnrollAgent' });

export const updateAgentSchema = z
  .object({
    name: agentName.optional(),
    description: z.string().trim().max(2000).nullable().optional(),
    purpose: z.string().trim().max(500).nullable().optional(),
    dataClassification: dataClassificationSchema.nullable().optional(),
    ownerId: userIdSchema.optional().describe('Managers and admins only'),
    tags: z.array(tagSchema).max(20).optional(),
    metadata: metadata.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: 'change at least one field' })
  .meta({ id: 'UpdateAgent', examples: [{ purpose: 'Reconciles supplier invoices nightly' }] });

export const agentLifecycleSchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'AgentLifecycle', examples: [{ reason: 'Investigating unexpected calls' }] });

export const rotateAgentKeySchema = z
  .object({
    publicKey: publicKeyInputSchema,
    challenge,
    proof,
    overlapSeconds: z.number().int().min(0).max(604_800).optional().describe('How long the current key keeps working'),
  })
  .meta({ id: 'RotateAgentKey' });

export const agentParamsSchema = z.object({ agentId: agentIdSchema });
export const agentKeyParamsSchema = z.object({ agentId: agentIdSchema, keyId: keyIdSchema });

export const agentListQuerySchema = z.object({
  status: agentStatusSchema.optional(),
  ownerId: userIdSchema.optional(),
  tag: tagSchema.optional(),
  trustTier: trustTierSchema.optional(),
  q: z.string().trim().min(1).max(100).optional().describe('Matches name, description or purpose (case-insensitive)'),
  ids: z
    .string()
    .regex(/^agt_[0-9a-z]{26}(,agt_[0-9a-z]{26}){0,199}$/, { message: 'must be up to 200 agt_… ids separated by commas' })
    .optional()
    .describe('Only these agents (comma-separated ids, at most 200), for example to name the agents a list of decisions refers to'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: agentIdSchema.optional().describe('nextCursor of the previous page'),
});

export const agentSummarySchema = agentSchema.omit({ keys: true }).meta({ id: 'AgentSummary' });
export const agentListSchema = z
  .object({
    agents: z.array(agentSummarySchema),
    nextCursor: agentIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'AgentList' });

export const agentStatusChangeSchema = z
  .object({
    from: agentStatusSchema.nullable(),
    to: agentStatusSchema,
    reason: z.string().nullable(),
    actorType: z.enum(['user', 'agent', 'api_key', 'system']),
    actorId: z.string().nullable(),
    at: timestamp,
  })
  .meta({ id: 'AgentStatusChange' });

export const agentActivitySchema = z
  .object({ id: z.string(), action: z.string(), actorType: z.string(), actorId: z.string().nullable(), occurredAt: timestamp })
  .meta({ id: 'AgentActivity' });

export const agentDetailSchema = z
  .object({ agent: agentSchema, statusHistory: z.array(agentStatusChangeSchema), recentActivity: z.array(agentActivitySchema) })
  .meta({ id: 'AgentDetail' });

export const enrollmentTokenSchema = z
  .object({
    id: enrollmentTokenIdSchema,
    name: z.string().nullable().describe('Default name of the agent that enrolls with it'),
    capabilities: z.array(z.string()).describe('Capabilities the enrolled agent will request'),
    ownerId: userIdSchema.describe('Owner of the agent that enrolls with it'),
    createdBy: z.string(),
    createdAt: timestamp,
    expiresAt: timestamp,
    usedAt: timestamp.nullable(),
    agentId: agentIdSchema.nullable(),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'EnrollmentToken' });
export const createEnrollmentTokenSchema = z
  .object({
    name: agentName.optional(),
    capabilities: z.array(capabilityName).max(50).optional(),
    expiresInSeconds: z.number().int().min(60).max(30 * 86_400).optional().describe('Default 24 hours, at most 30 days'),
    ownerId: userIdSchema.optional().describe('Defaults to you; only managers and admins may name someone else'),
  })
  .meta({ id: 'CreateEnrollmentToken', examples: [{ name: 'invoice-bot', capabilities: ['db:read'], expiresInSeconds: 3600 }] });
export const createdEnrollmentTokenSchema = z
  .object({ enrollmentToken: enrollmentTokenSchema, token: z.string().describe('aim_enr_…; shown once') })
  .meta({ id: 'CreatedEnrollmentToken' });
export const enrollmentTokenListSchema = z
  .object({ enrollmentTokens: z.array(enrollmentTokenSchema) })
  .meta({ id: 'EnrollmentTokenList' });
export const enrollmentTokenParamsSchema = z.object({ enrollmentTokenId: enrollmentTokenIdSchema });

/** POST /api/v1/oauth/token: JSON or form; a signed request, or an RFC 7523 client assertion. */
export const tokenRequestSchema = z
  .object({
    grant_type: z.literal('client_credentials', { message: 'grant_type must be client_credentials' }),
    client_assertion_type: z.literal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer').optional(),
    client_assertion: z.string().max(4096).optional(),
    audience: z.string().min(1).max(200).optional(),
  })
  .meta({ id: 'AgentTokenRequest', examples: [{ grant_type: 'client_credentials' }] });
export const tokenResponseSchema = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int().positive() })
  .meta({ id: 'AgentTokenResponse' });

export const introspectionRequestSchema = z
  .object({ token: z.string().min(1).max(8192), token_type_hint: z.string().max(50).optional() })
  .meta({ id: 'IntrospectionRequest' });
export const introspectionResponseSchema = z
  .object({
    active: z.boolean(),
    sub: agentIdSchema.optional(),
    org: organizationIdSchema.optional(),
    iss: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    jti: z.string().optional(),
    iat: z.number().int().optional(),
    exp: z.number().int().optional(),
    token_type: z.literal('Bearer').optional(),
    client_id: agentIdSchema.optional(),
    status: agentStatusSchema.optional().describe("The agent's status now"),
    trust_tier: trustTierSchema.optional(),
    cnf: z.object({ jkt: z.string() }).optional(),
  })
  .meta({ id: 'IntrospectionResponse' });

export const authorizationServerMetadataSchema = z
  .object({
    issuer: z.string(),
    token_endpoint: z.string(),
    introspection_endpoint: z.string(),
    jwks_uri: z.string(),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    token_endpoint_auth_signing_alg_values_supported: z.array(z.string()),
  })
  .meta({ id: 'AuthorizationServerMetadata' });
