import { z } from 'zod';
import { agentIdSchema } from './agents.js';

/**
 * Capabilities: the organization's catalog of actions agents may be granted, grants per agent
 * (optionally limited to resource patterns and with an expiry), and requests for capabilities that
 * managers approve or reject. docs/authorization.md describes how they take part in decisions.
 */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });
export const capabilityIdSchema = id('cap');
export const grantIdSchema = id('grt');
export const capabilityRequestIdSchema = id('crq');
const timestamp = z.string().describe('RFC 3339 timestamp');
const actorRef = z
  .object({ type: z.enum(['user', 'api_key', 'agent', 'system']), id: z.string().nullable() })
  .meta({ id: 'ActorRef' });

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const riskLevelSchema = z.enum(RISK_LEVELS).meta({ id: 'RiskLevel' });
/** low < medium < high < critical. */
export const riskRank = (risk: RiskLevel): number => RISK_LEVELS.indexOf(risk);

/**
 * A catalog name: `<resource>:<action>` in lower case, e.g. `db:read`, `payments:refund`; or the
 * action of an approved MCP tool, `mcp:<server slug>/<tool name>` with the tool's name as the server
 * spells it (docs/mcp.md), which only approving the server's tools creates.
 */
export const capabilityNameSchema = z
  .string()
  .regex(/^(?=.{3,100}$)(?:[a-z][a-z0-9_-]{0,39}:[a-z0-9_-][a-z0-9_.-]{0,59}|mcp:[a-z0-9][a-z0-9_-]{0,39}\/[A-Za-z0-9_.-]{1,64})$/, {
    message: 'must look like resource:action in lower case (a-z, 0-9, _ - and . after the colon), at most 100 characters, e.g. db:read; or mcp:<server>/<tool>',
  })
  .meta({ id: 'CapabilityName' });

/**
 * A resource pattern: the resource an action applies to, with `*` matching any run of characters
 * except `/` and `**` matching any run including `/` (e.g. `customers/*`, `s3://reports/**`).
 */
export const resourcePatternSchema = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !/\*{3,}/.test(p), { message: 'must not contain *** (use * within a segment, ** across segments)' })
  .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), { message: 'must not contain control characters' })
  .meta({ id: 'ResourcePattern', description: '`*` matches within one path segment, `**` across segments; anything else is literal' });

export const capabilitySchema = z
  .object({
    id: capabilityIdSchema,
    name: capabilityNameSchema,
    description: z.string().nullable(),
    riskLevel: riskLevelSchema,
    mcp: z
      .object({ mcpServerId: z.string(), tool: z.string() })
      .nullable()
      .describe("The MCP server and tool of an mcp:<server>/<tool> action (created by approving the server's tools); null for other capabilities"),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Capability' });

export const createCapabilitySchema = z
  .object({
    name: capabilityNameSchema,
    description: z.string().trim().max(1000).optional(),
    riskLevel: riskLevelSchema,
  })
  .meta({ id: 'CreateCapability', examples: [{ name: 'payments:refund', description: 'Refund a customer payment', riskLevel: 'high' }] });

export const updateCapabilitySchema = z
  .object({ description: z.string().trim().max(1000).nullable().optional(), riskLevel: riskLevelSchema.optional() })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'UpdateCapability', examples: [{ riskLevel: 'high' }] });

export const capabilityEnvelopeSchema = z.object({ capability: capabilitySchema }).meta({ id: 'CapabilityEnvelope' });
export const capabilityListSchema = z.object({ capabilities: z.array(capabilitySchema) }).meta({ id: 'CapabilityList' });
export const capabilityParamsSchema = z.object({ capabilityId: capabilityIdSchema });

export const GRANT_STATUSES = ['active', 'expired', 'revoked'] as const;
export const grantSchema = z
  .object({
    id: grantIdSchema,
    agentId: agentIdSchema,
    capability: capabilityNameSchema,
    capabilityId: capabilityIdSchema,
    riskLevel: riskLevelSchema,
    resourcePattern: z.string().nullable().describe('null: any resource'),
    status: z.enum(GRANT_STATUSES),
    expiresAt: timestamp.nullable(),
    grantedBy: actorRef,
    requestId: capabilityRequestIdSchema.nullable(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'CapabilityGrant' });

const expiresInSeconds = z.number().int().min(60).max(31_536_000).describe('Just-in-time: the grant ends after this many seconds');

export const createGrantSchema = z
  .object({
    capability: capabilityNameSchema,
    resourcePattern: resourcePatternSchema.optional(),
    expiresInSeconds: expiresInSeconds.optional(),
  })
  .meta({ id: 'CreateGrant', examples: [{ capability: 'db:read', resourcePattern: 'customers/*', expiresInSeconds: 3600 }] });

export const grantEnvelopeSchema = z.object({ grant: grantSchema }).meta({ id: 'GrantEnvelope' });
export const grantListSchema = z.object({ grants: z.array(grantSchema) }).meta({ id: 'GrantList' });
export const grantParamsSchema = z.object({ agentId: agentIdSchema, grantId: grantIdSchema });
export const grantListQuerySchema = z.object({
  status: z.enum(GRANT_STATUSES).optional(),
});

export const CAPABILITY_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export const capabilityRequestSchema = z
  .object({
    id: capabilityRequestIdSchema,
    agentId: agentIdSchema,
    capability: capabilityNameSchema,
    capabilityId: capabilityIdSchema,
    riskLevel: riskLevelSchema,
    resourcePattern: z.string().nullable(),
    reason: z.string().nullable(),
    status: z.enum(CAPABILITY_REQUEST_STATUSES),
    requestedBy: actorRef,
    createdAt: timestamp,
    expiresAt: timestamp,
    decidedAt: timestamp.nullable(),
    decidedBy: actorRef.nullable(),
    note: z.string().nullable(),
    grantId: grantIdSchema.nullable(),
  })
  .meta({ id: 'CapabilityRequest' });

export const createCapabilityRequestSchema = z
  .object({
    capability: capabilityNameSchema,
    resourcePattern: resourcePatternSchema.optional(),
    reason: z.string().trim().min(1).max(1000),
  })
  .meta({ id: 'CreateCapabilityRequest', examples: [{ capability: 'email:send', reason: 'Send the weekly report to finance' }] });

export const approveCapabilityRequestSchema = z
  .object({
    resourcePattern: resourcePatternSchema.nullable().optional().describe('Narrow (or set) the pattern the grant covers'),
    expiresInSeconds: expiresInSeconds.optional(),
    note: z.string().trim().max(1000).optional(),
  })
  .meta({ id: 'ApproveCapabilityRequest', examples: [{ resourcePattern: 'customers/eu/*', expiresInSeconds: 86400, note: 'EU only for now' }] });

export const rejectCapabilityRequestSchema = z
  .object({ note: z.string().trim().min(1, { message: 'must say why the request is rejected' }).max(1000) })
  .meta({ id: 'RejectCapabilityRequest', examples: [{ note: 'Use the read-only export instead' }] });

export const capabilityRequestEnvelopeSchema = z.object({ request: capabilityRequestSchema }).meta({ id: 'CapabilityRequestEnvelope' });
export const capabilityRequestListSchema = z
  .object({ requests: z.array(capabilityRequestSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'CapabilityRequestList' });
export const capabilityRequestParamsSchema = z.object({ requestId: capabilityRequestIdSchema });
export const capabilityRequestListQuerySchema = z.object({
  status: z.enum(CAPABILITY_REQUEST_STATUSES).optional(),
  agentId: agentIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export const ownCapabilityRequestListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: capabilityRequestIdSchema.optional().describe('nextCursor of the previous page'),
});
