import { z } from 'zod';
import { dateTimeSchema } from './instants.js';
import { agentIdSchema } from './agents.js';
import { capabilityNameSchema, grantIdSchema, riskLevelSchema } from './capabilities.js';
import { policyIdSchema, policyModeSchema } from './policies.js';

/**
 * Decisions: AIM's answer to "may this agent do this now?" (POST /api/v1/agents/{agentId}/verify-action),
 * stored with the reasons and the policy versions they came from. docs/authorization.md.
 */

/** Ids use lower-case Crockford base32 (no i, l, o, u). */
export const decisionIdSchema = z.string().regex(/^dec_[0-9a-hjkmnp-tv-z]{26}$/, { message: 'must be a dec_… id' });
const timestamp = z.string().describe('RFC 3339 timestamp');

export const DECISIONS = ['allow', 'deny', 'pending'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Every rule a reason can name. */
export const DECISION_RULES = [
  'agent_status',
  'unknown_capability',
  'capability_required',
  'resource_deny',
  'time_window',
  'rate_limit',
  'require_approval',
  'data_volume',
  'min_trust',
  // An MCP tool's action (mcp:<server>/<tool>) whose server is not approved, or whose tool drifted
  // from its approved definition and is blocked until re-approval (docs/mcp.md).
  'mcp_tool',
] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

/**
 * What a rule did: `allow` (it grants), `deny` and `approval` (enforced: they decide), `flag`
 * (a monitor-mode policy that would have denied or asked for approval), `pass` (it applied and was
 * satisfied), `info` (it could not be evaluated and says why).
 */
export const REASON_EFFECTS = ['allow', 'deny', 'approval', 'flag', 'pass', 'info'] as const;
export type ReasonEffect = (typeof REASON_EFFECTS)[number];

export const decisionReasonSchema = z
  .object({
    rule: z.enum(DECISION_RULES),
    effect: z.enum(REASON_EFFECTS),
    message: z.string(),
    policyId: policyIdSchema.nullable().describe('null for the built-in rules'),
    policyVersion: z.number().int().nullable(),
    mode: policyModeSchema.nullable(),
    grantId: grantIdSchema.nullable().optional(),
  })
  .meta({ id: 'DecisionReason' });
export type DecisionReason = z.infer<typeof decisionReasonSchema>;

const context = z
  .record(z.string(), z.unknown())
  .refine((v) => new TextEncoder().encode(JSON.stringify(v)).length <= 8192, { message: 'must be at most 8 KiB as JSON (UTF-8)' })
  .describe('Facts about the action that policies may look at, e.g. {"records": 120}');

export const verifyActionSchema = z
  .object({
    action: capabilityNameSchema.describe('The capability the action needs, e.g. payments:refund'),
    resource: z
      .string()
      .min(1)
      .max(1000)
      .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), { message: 'must not contain control characters' })
      .optional(),
    context: context.optional(),
    risk: riskLevelSchema.optional().describe("The agent's own view of the risk; it can raise the catalog's risk level, never lower it"),
  })
  .meta({
    id: 'VerifyAction',
    examples: [{ action: 'payments:refund', resource: 'orders/8812', context: { amount: 120 }, risk: 'high' }],
  });

export const verifyActionResultSchema = z
  .object({
    decisionId: decisionIdSchema,
    decision: z.enum(DECISIONS),
    reasons: z.array(decisionReasonSchema),
    risk: riskLevelSchema.nullable().describe('The effective risk; null when the action is not in the catalog'),
    evaluatedAt: timestamp,
    expiresAt: timestamp.nullable().describe('For pending: when an unanswered approval turns into deny'),
  })
  .meta({ id: 'VerifyActionResult' });

export const DECISION_STATUSES = ['allowed', 'denied', 'pending', 'approved', 'rejected', 'expired', 'withdrawn', 'invalidated'] as const;
export const RESULT_STATUSES = ['success', 'failure', 'error'] as const;

export const decisionSchema = z
  .object({
    id: decisionIdSchema,
    agentId: agentIdSchema,
    action: z.string(),
    resource: z.string().nullable(),
    context: z.record(z.string(), z.unknown()),
    risk: riskLevelSchema.nullable(),
    declaredRisk: riskLevelSchema.nullable(),
    decision: z.enum(DECISIONS).describe('The answer now: a pending decision becomes allow or deny'),
    status: z
      .enum(DECISION_STATUSES)
      .describe(
        'How it got there: approved/rejected by a person, expired unanswered, withdrawn by its agent, invalidated: a person approved but the re-evaluation at approval time denied',
      ),
    reasons: z.array(decisionReasonSchema).describe('The evaluation when the agent asked'),
    approvalReasons: z
      .array(decisionReasonSchema)
      .nullable()
      .describe('The re-evaluation when a person approved (docs/authorization.md §5): why it allowed (approved) or denied (invalidated); null otherwise'),
    flagged: z.boolean().describe('A monitor-mode policy would have denied or asked for approval'),
    trust: z
      .object({ score: z.number().nullable(), confidence: z.number().nullable() })
      .describe("The agent's trust score and its confidence when the decision was taken (null: not scored yet)"),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    resolvedAt: timestamp.nullable(),
    resolvedBy: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
    note: z.string().nullable(),
    result: z
      .object({
        status: z.enum(RESULT_STATUSES),
        durationMs: z.number().nullable(),
        detail: z.string().nullable(),
        reportedAt: timestamp,
      })
      .nullable(),
  })
  .meta({ id: 'Decision' });
export type DecisionJson = z.infer<typeof decisionSchema>;

export const decisionEnvelopeSchema = z.object({ decision: decisionSchema }).meta({ id: 'DecisionEnvelope' });
export const decisionParamsSchema = z.object({ decisionId: decisionIdSchema });
export const decisionWaitQuerySchema = z.object({
  wait: z.coerce.number().int().min(0).max(60).optional().describe('Long-poll: seconds to wait while the decision is pending'),
});

export const decisionListQuerySchema = z.object({
  agentId: agentIdSchema.optional(),
  decision: z.enum(DECISIONS).optional(),
  status: z.enum(DECISION_STATUSES).optional(),
  action: z.string().max(100).optional(),
  flagged: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  from: dateTimeSchema().optional(),
  to: dateTimeSchema().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export const decisionListSchema = z
  .object({ decisions: z.array(decisionSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'DecisionList' });

export const resolveDecisionSchema = z
  .object({ note: z.string().trim().max(1000).optional() })
  .meta({ id: 'ResolveDecision' });

export const decisionResultSchema = z
  .object({
    status: z.enum(RESULT_STATUSES),
    durationMs: z.number().min(0).max(86_400_000).optional(),
    detail: z.string().trim().max(1000).optional(),
  })
  .meta({ id: 'DecisionResult', examples: [{ status: 'success', durationMs: 182 }] });

export const violationSchema = z
  .object({
    id: z.string(),
    agentId: agentIdSchema,
    decisionId: decisionIdSchema,
    rule: z.enum(DECISION_RULES),
    policyId: policyIdSchema.nullable(),
    policyVersion: z.number().int().nullable(),
    action: z.string(),
    resource: z.string().nullable(),
    severity: riskLevelSchema,
    createdAt: timestamp,
  })
  .meta({ id: 'Violation' });
export const violationListSchema = z
  .object({ violations: z.array(violationSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ViolationList' });
export const violationListQuerySchema = z.object({
  agentId: agentIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
