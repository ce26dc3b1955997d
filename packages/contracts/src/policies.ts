import { z } from 'zod';
import { agentIdSchema, tagSchema } from './agents.js';
import { riskLevelSchema, resourcePatternSchema } from './capabilities.js';

/**
 * Organization policies, versioned: every change makes a new version, and decisions name the
 * version they used. docs/authorization.md gives the evaluation order.
 */

export const policyIdSchema = z.string().regex(/^pol_[0-9a-z]{26}$/, { message: 'must be a pol_… id' });
const timestamp = z.string().describe('RFC 3339 timestamp');

export const POLICY_TYPES = [
  'capability_required',
  'resource_deny',
  'time_window',
  'rate_limit',
  'require_approval',
  'data_volume',
  'min_trust',
] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];
export const policyTypeSchema = z.enum(POLICY_TYPES).meta({ id: 'PolicyType' });
export const POLICY_MODES = ['enforce', 'monitor'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];
export const policyModeSchema = z
  .enum(POLICY_MODES)
  .meta({ id: 'PolicyMode', description: 'monitor: the policy is evaluated, recorded and flagged, but never blocks' });

/** An action pattern: `*` matches any run of characters (e.g. `payments:*`, `mcp:github/*`; MCP tool names keep their case). */
const actionPattern = z.string().regex(/^[a-z0-9_*][a-zA-Z0-9_*:./-]{0,99}$/, { message: 'must be an action or a pattern such as payments:* or mcp:github/*' });

export const policyScopeSchema = z
  .object({
    agentIds: z.array(agentIdSchema).min(1).max(500).optional().describe('Only these agents'),
    tags: z.array(tagSchema).min(1).max(50).optional().describe('Only agents carrying at least one of these tags'),
    actions: z.array(actionPattern).min(1).max(100).optional().describe('Only these actions (patterns)'),
  })
  .strict()
  .meta({ id: 'PolicyScope', description: 'Every field given must match; an empty scope applies to everything' });
export type PolicyScope = z.infer<typeof policyScopeSchema>;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clock = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, { message: 'must be HH:MM (00:00 to 24:00)' });
const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Europe/Berlin or UTC' },
);

export const policyConfigSchemas = {
  capability_required: z.object({}).strict(),
  resource_deny: z.object({ resources: z.array(resourcePatternSchema).min(1).max(200) }).strict(),
  time_window: z
    .object({
      timezone,
      windows: z
        .array(
          z
            .object({ days: z.array(z.enum(DAYS)).min(1).max(7), start: clock, end: clock })
            .strict()
            .refine((w) => w.start < w.end, { message: 'start must be before end (split a window that crosses midnight in two)' }),
        )
        .min(1)
        .max(20),
    })
    .strict()
    .describe('Actions are allowed only inside one of the windows'),
  rate_limit: z
    .object({ limit: z.number().int().min(1).max(1_000_000), windowSeconds: z.number().int().min(1).max(86_400) })
    .strict()
    .describe('At most `limit` decisions per agent and action in each fixed window'),
  require_approval: z.object({ minRisk: riskLevelSchema }).strict().describe('Actions at or above this risk wait for a person'),
  data_volume: z
    .object({
      field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: 'must be a top-level context field name such as records' }),
      max: z.number().min(0),
      effect: z.enum(['deny', 'require_approval']).default('deny'),
      whenMissing: z.enum(['ignore', 'deny']).default('ignore').describe('What to do when the context lacks the field'),
    })
    .strict(),
  min_trust: z
    .object({
      minimums: z
        .object({
          low: z.number().min(0).max(100).optional(),
          medium: z.number().min(0).max(100).optional(),
          high: z.number().min(0).max(100).optional(),
          critical: z.number().min(0).max(100).optional(),
        })
        .strict()
        .refine((m) => Object.keys(m).length > 0, { message: 'set a minimum for at least one risk level' }),
      whenUnscored: z
        .enum(['allow', 'deny', 'require_approval'])
        .default('require_approval')
        .describe('The outcome while the agent has no trust score yet'),
    })
    .strict(),
} satisfies Record<PolicyType, z.ZodType>;

export type PolicyConfig<T extends PolicyType = PolicyType> = z.output<(typeof policyConfigSchemas)[T]>;

export const policySchema = z
  .object({
    id: policyIdSchema,
    name: z.string(),
    description: z.string().nullable(),
    type: policyTypeSchema,
    mode: policyModeSchema,
    enabled: z.boolean(),
    version: z.number().int().min(1),
    scope: policyScopeSchema,
    config: z.record(z.string(), z.unknown()),
    createdAt: timestamp,
    updatedAt: timestamp,
    deletedAt: timestamp.nullable(),
  })
  .meta({ id: 'Policy' });
export type PolicyJson = z.infer<typeof policySchema>;

const policyName = z.string().trim().min(1).max(100);

export const createPolicySchema = z
  .object({
    name: policyName,
    description: z.string().trim().max(1000).optional(),
    type: policyTypeSchema,
    mode: policyModeSchema.default('enforce'),
    enabled: z.boolean().default(true),
    scope: policyScopeSchema.default({}),
    config: z.record(z.string(), z.unknown()).default({}).describe('Depends on type; see docs/authorization.md'),
  })
  .meta({
    id: 'CreatePolicy',
    examples: [{ name: 'Refunds need a person', type: 'require_approval', mode: 'enforce', config: { minRisk: 'high' } }],
  });

export const updatePolicySchema = z
  .object({
    name: policyName.optional(),
    description: z.string().trim().max(1000).nullable().optional(),
    mode: policyModeSchema.optional(),
    enabled: z.boolean().optional(),
    scope: policyScopeSchema.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'UpdatePolicy', description: 'Every change makes a new version; the type cannot change', examples: [{ mode: 'monitor' }] });

export const policyEnvelopeSchema = z.object({ policy: policySchema }).meta({ id: 'PolicyEnvelope' });
export const policyListSchema = z.object({ policies: z.array(policySchema) }).meta({ id: 'PolicyList' });
export const policyVersionListSchema = z
  .object({
    versions: z.array(policySchema.extend({ changedBy: z.object({ type: z.string(), id: z.string().nullable() }) })),
  })
  .meta({ id: 'PolicyVersionList' });
export const policyParamsSchema = z.object({ policyId: policyIdSchema });
export const policyListQuerySchema = z.object({
  includeDeleted: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
