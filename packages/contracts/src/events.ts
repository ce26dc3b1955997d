import { z } from 'zod';
import { agentIdSchema, TRUST_TIERS } from './agents.js';
import { RISK_LEVELS } from './capabilities.js';
import { DECISION_RULES, decisionIdSchema } from './decisions.js';
import { ALERT_SEVERITIES, ALERT_STATUSES, ALERT_SUBJECT_TYPES, DETECTORS, alertIdSchema } from './monitoring.js';
import { organizationIdSchema } from './people.js';
import { policyIdSchema } from './policies.js';
import { trustScoreIdSchema } from './trust.js';

/**
 * Domain events: facts one feature announces and others react to (docs/events.md). Each is recorded
 * in the transaction of the change it announces (the outbox) and delivered at least once, in commit
 * order per organization. This file is the contract: an envelope and one schema per event type and
 * version. A change that is not backwards compatible is a new version of the type, never an edit.
 */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), { message: `must be a ${prefix}_… id` });

/**
 * The event schemas by id, in a registry of their own (not zod's global one, which the API reference
 * is generated from: events are not API operations yet). `z.toJSONSchema(eventSchemas)` gives their
 * JSON Schema, with each id as a definition.
 */
export const eventSchemas = z.registry<{ id: string }>();

/** A domain event's own id: stable across redeliveries, so a consumer can skip one it has seen. */
export const domainEventIdSchema = id('dev').register(eventSchemas, { id: 'DomainEventId' });

const envelope = <T extends string, D extends z.ZodType>(type: T, version: number, data: D, description: string) =>
  z
    .object({
      id: domainEventIdSchema,
      type: z.literal(type),
      version: z.literal(version),
      organizationId: organizationIdSchema,
      occurredAt: z.iso.datetime({ offset: true }).describe('When the change was recorded (RFC 3339)'),
      data,
    })
    .describe(description);

const decisionCreated = z.object({
  decisionId: decisionIdSchema,
  agentId: agentIdSchema,
  action: z.string(),
  decision: z.enum(['allow', 'deny', 'pending']),
  flagged: z.boolean().describe('A monitor-mode policy would have denied or asked for approval'),
});

const decisionResolved = z.object({
  decisionId: decisionIdSchema,
  agentId: agentIdSchema,
  decision: z.enum(['allow', 'deny']),
  status: z.enum(['approved', 'rejected', 'expired', 'withdrawn', 'invalidated']),
});

const violationRecorded = z.object({
  violationId: id('vio'),
  decisionId: decisionIdSchema,
  agentId: agentIdSchema,
  rule: z.enum(DECISION_RULES),
  policyId: policyIdSchema.nullable(),
  severity: z.enum(RISK_LEVELS),
});

/** Events listed in one `audit.appended` (the rest are counted). */
export const AUDIT_APPENDED_MAX = 100;

const auditAppended = z.object({
  count: z.number().int().positive().describe('Events chained in this batch'),
  events: z
    .array(
      z.object({
        id: id('evt'),
        action: z.string(),
        targetType: z.string().nullable(),
        targetId: z.string().nullable(),
        actorType: z.string(),
      }),
    )
    .max(AUDIT_APPENDED_MAX)
    .describe(`The first ${AUDIT_APPENDED_MAX} of them, in chain order`),
});

export const TRUST_EVIDENCE_KINDS = ['profile', 'key', 'rating', 'security_review', 'incident', 'attestation', 'alert'] as const;
export type TrustEvidenceKind = (typeof TRUST_EVIDENCE_KINDS)[number];

const trustEvidence = z.object({ agentId: agentIdSchema, kind: z.enum(TRUST_EVIDENCE_KINDS) });

const score = z.number().nullable();
const trustChanged = z.object({
  agentId: agentIdSchema,
  scoreId: trustScoreIdSchema,
  score,
  tier: z.enum(TRUST_TIERS),
  previousScore: score,
  previousTier: z.enum(TRUST_TIERS),
});

const trustDropped = z.object({
  agentId: agentIdSchema,
  scoreId: trustScoreIdSchema,
  score,
  highestInHour: z.number(),
  drop: z.number().describe('Points below the highest score of the last hour'),
});

const capabilityRequested = z.object({
  requestId: id('crq'),
  agentId: agentIdSchema,
  capabilityId: id('cap'),
  capabilityName: z.string(),
  resourcePattern: z.string().nullable(),
  reason: z.string(),
  requestedBy: z.object({ type: z.enum(['user', 'api_key', 'agent', 'system']), id: z.string().nullable() }),
});

const webhookDisabled = z.object({
  endpointId: id('whk'),
  url: z.string(),
  reason: z.string().describe('Why AIM disabled it, for people'),
  failingSince: z.iso.datetime({ offset: true }).describe('The first failed attempt of the unbroken run of failures'),
});

const webhookTest = z.object({
  endpointId: id('whk'),
  message: z.string(),
});

/** Why a signed request or token naming one of the agent's keys was refused. */
export const AUTHENTICATION_FAILURE_REASONS = ['invalid_signature', 'replayed_request', 'key_revoked', 'key_expired', 'digest_mismatch', 'invalid_token'] as const;

const agentAuthenticationFailed = z.object({
  agentId: agentIdSchema,
  from: z.iso.datetime({ offset: true }).describe('The first refusal counted here'),
  to: z.iso.datetime({ offset: true }).describe('The last refusal counted here'),
  failures: z.number().int().positive().describe('Refusals in this report'),
  reasons: z.partialRecord(z.enum(AUTHENTICATION_FAILURE_REASONS), z.number().int().positive()).describe('Refusals by reason'),
  keyIds: z.array(z.string()).max(20).describe('The key ids the refused requests named'),
  addresses: z.array(z.string()).max(20).describe('Client addresses they came from (the first 20)'),
});

const alertSubject = z.object({ type: z.enum(ALERT_SUBJECT_TYPES), id: z.string() });

const alertRaised = z.object({
  alertId: alertIdSchema,
  type: z.enum(DETECTORS),
  severity: z.enum(ALERT_SEVERITIES),
  subject: alertSubject,
  title: z.string(),
  summary: z.string(),
  dedupKey: z.string(),
});

const alertStatusChanged = z.object({
  alertId: alertIdSchema,
  type: z.enum(DETECTORS),
  severity: z.enum(ALERT_SEVERITIES),
  subject: alertSubject,
  status: z.enum(ALERT_STATUSES),
  previousStatus: z.enum(ALERT_STATUSES),
  changedBy: z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() }),
});

const mcpServerDrifted = z.object({
  mcpServerId: id('mcp'),
  scanId: id('msc'),
  findingId: id('mcf'),
  added: z.array(z.string()).max(100).describe('Tool names added since approval (the first 100)'),
  removed: z.array(z.string()).max(100).describe('Approved tools no longer offered (the first 100)'),
  changed: z.array(z.string()).max(100).describe('Tools whose definition differs from the approved one (the first 100)'),
  blocked: z.boolean().describe('Whether decisions for the drifted tools are now denied until re-approval'),
});

const mcpFindingRaised = z.object({
  findingId: id('mcf'),
  mcpServerId: id('mcp'),
  kind: z.enum(['drift', 'poisoning', 'attestation_mismatch', 'tls_certificate_changed', 'server_card_invalid']),
  severity: z.enum(ALERT_SEVERITIES),
  title: z.string(),
});

/** Every domain event: one discriminated union over `type`. */
export const domainEventSchema = z
  .discriminatedUnion('type', [
    envelope('decision.created', 1, decisionCreated, 'An agent asked to act and AIM decided (allow, deny, or pending a person)'),
    envelope('decision.resolved', 1, decisionResolved, 'A pending decision ended: approved, rejected, expired, withdrawn or invalidated'),
    envelope('violation.recorded', 1, violationRecorded, 'A decision broke a rule; recorded with the decision'),
    envelope('audit.appended', 1, auditAppended, 'Audit events were chained: every committed change, in chain order'),
    envelope('trust.evidence', 1, trustEvidence, 'New trust evidence other than decisions'),
    envelope('trust.changed', 1, trustChanged, "A recalculation changed an agent's score or tier notably"),
    envelope('trust.dropped', 1, trustDropped, "An agent's score fell more than the alert threshold below its highest of the last hour"),
    envelope('capability.requested', 1, capabilityRequested, 'An agent (or its owner) asked for a capability; a manager or admin answers'),
    envelope('webhook.disabled', 1, webhookDisabled, 'AIM disabled a webhook endpoint that kept failing'),
    envelope('webhook.test', 1, webhookTest, 'A test event, sent to one endpoint on request (never to subscriptions)'),
    envelope(
      'agent.authentication_failed',
      1,
      agentAuthenticationFailed,
      "Requests naming one of the agent's keys were refused (bad signature, replay, retired key): counted by the request path and reported in batches",
    ),
    envelope('alert.raised', 1, alertRaised, 'A detector raised a new alert (a repeat of an active alert only counts on it)'),
    envelope('alert.status_changed', 1, alertStatusChanged, 'An alert was acknowledged, snoozed, resolved, marked a false positive or reopened'),
    envelope('mcp_server.drifted', 1, mcpServerDrifted, "A scan found an approved MCP server's tools added, removed or changed against the approved pins"),
    envelope('mcp_finding.raised', 1, mcpFindingRaised, 'A new finding about an MCP server (drift, a poisoning heuristic, an attestation mismatch, an identity change)'),
  ])
  .register(eventSchemas, { id: 'DomainEvent' });

export type DomainEvent = z.output<typeof domainEventSchema>;
export type DomainEventType = DomainEvent['type'];
/** One type's event, narrowed from the union. */
export type DomainEventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
/** One type's `data`. */
export type DomainEventData<T extends DomainEventType> = DomainEventOf<T>['data'];

/** Every event type, in the order of docs/events.md. */
export const DOMAIN_EVENT_TYPES = domainEventSchema.options.map((o) => o.shape.type.value) as readonly DomainEventType[];

/** The current version of each type (what is recorded now). */
export const DOMAIN_EVENT_VERSIONS = Object.fromEntries(domainEventSchema.options.map((o) => [o.shape.type.value, o.shape.version.value])) as Record<
  DomainEventType,
  number
>;

/** A filter on event types: an exact type, `prefix.*` (e.g. `decision.*`), or `*` for all. */
export const eventTypePatternSchema = z
  .string()
  .regex(/^(\*|[a-z][a-z_]*(\.\*|\.[a-z_]+)?)$/, { message: 'must be an event type, a prefix like decision.*, or *' })
  .register(eventSchemas, { id: 'EventTypePattern' });

/** Whether `type` matches `pattern` (see eventTypePatternSchema). */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}
