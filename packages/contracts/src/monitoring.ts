import { z } from 'zod';
import { agentIdSchema } from './agents.js';
import { dateTimeSchema } from './instants.js';
import { organizationIdSchema, userIdSchema } from './people.js';

/**
 * Monitoring (docs/monitoring.md): detectors watch each agent's behaviour against its own baseline,
 * and rules (key misuse, trust drops, lost heartbeats, old keys) watch for what is wrong at once.
 * What they find becomes an alert with a lifecycle, the numbers that fired it, and links to the
 * decisions and audit events behind it.
 */

export const alertIdSchema = z.string().regex(/^alr_[0-9a-z]{26}$/, { message: 'must be an alr_… id' });
export const alertNoteIdSchema = z.string().regex(/^aln_[0-9a-z]{26}$/, { message: 'must be an aln_… id' });
const timestamp = z.string().describe('RFC 3339 timestamp');
const instant = dateTimeSchema();

export const ALERT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
export const alertSeveritySchema = z.enum(ALERT_SEVERITIES).meta({ id: 'AlertSeverity', description: 'info < low < medium < high < critical' });

/** True when `a` is at least as severe as `b`. */
export const severityAtLeast = (a: AlertSeverity, b: AlertSeverity): boolean => ALERT_SEVERITIES.indexOf(a) >= ALERT_SEVERITIES.indexOf(b);

export const ALERT_STATUSES = ['open', 'acknowledged', 'snoozed', 'resolved', 'false_positive'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const alertStatusSchema = z.enum(ALERT_STATUSES).meta({
  id: 'AlertStatus',
  description:
    'open: new or reopened; acknowledged: a person is on it; snoozed: hidden until snoozedUntil, then open again; resolved: dealt with; false_positive: it was not a problem (never counted against the agent)',
});
/** Statuses in which an alert is active: a repeat of its finding counts on it instead of raising a new alert. */
export const ACTIVE_ALERT_STATUSES = ['open', 'acknowledged', 'snoozed'] as const satisfies readonly AlertStatus[];

export const ALERT_SUBJECT_TYPES = ['agent', 'mcp_server', 'user', 'organization'] as const;
export type AlertSubjectType = (typeof ALERT_SUBJECT_TYPES)[number];
export const alertSubjectSchema = z
  .object({
    type: z.enum(ALERT_SUBJECT_TYPES),
    id: z.string().describe('The agent, MCP server, person or organization id'),
  })
  .meta({ id: 'AlertSubject' });

/**
 * The detectors. Behavioural ones compare an agent with its own baseline, and during an agent's
 * learning period only record what they would have raised (learning findings); rule detectors alert
 * from the first request.
 */
export const BEHAVIOURAL_DETECTORS = ['denial_spike', 'rate_anomaly', 'new_action', 'new_resource', 'off_hours', 'data_volume', 'new_network'] as const;
export const RULE_DETECTORS = ['trust_drop', 'key_misuse', 'heartbeat_lost', 'key_age'] as const;
/** Detectors over MCP servers (docs/mcp.md): rules, raised by scans and attestations rather than by decisions. */
export const MCP_DETECTORS = ['mcp_drift', 'mcp_poisoning', 'mcp_tool_mismatch', 'mcp_shadow_server', 'mcp_identity'] as const;
export const DETECTORS = [...RULE_DETECTORS, ...BEHAVIOURAL_DETECTORS, ...MCP_DETECTORS] as const;
export type Detector = (typeof DETECTORS)[number];
export const detectorSchema = z.enum(DETECTORS).meta({
  id: 'Detector',
  description:
    'trust_drop, key_misuse (signature failures, replays, retired-key use), heartbeat_lost, key_age: rules; denial_spike, rate_anomaly, new_action, new_resource, off_hours, data_volume, new_network: against the agent baseline (docs/monitoring.md); mcp_drift, mcp_poisoning, mcp_tool_mismatch, mcp_shadow_server, mcp_identity: about MCP servers (docs/mcp.md)',
});
export const isBehaviouralDetector = (d: Detector): boolean => (BEHAVIOURAL_DETECTORS as readonly string[]).includes(d);

/** One point of an evidence chart: what was observed against what the baseline expected. */
export const alertSeriesPointSchema = z
  .object({
    at: timestamp.describe('Start of the bucket'),
    observed: z.number(),
    expected: z.number().nullable().describe('The baseline for this bucket; null where it has none'),
    threshold: z.number().nullable().describe('Where the detector fires for this bucket; null where it does not apply'),
  })
  .meta({ id: 'AlertSeriesPoint' });

/**
 * Why an alert fired, in numbers a person can check against the decision history: the observed value,
 * the baseline, the threshold, the window and the method; the baseline as stored when it fired (so the
 * alert can be recomputed), and the decisions and audit events behind it.
 */
export const alertEvidenceSchema = z
  .object({
    observed: z.number().describe('The value that crossed the threshold (of the latest occurrence)'),
    baseline: z.number().nullable().describe('What the baseline expected; null for rules that have none'),
    threshold: z.number().describe('The value at which the detector fires'),
    unit: z.string().describe('What the numbers count, e.g. "requests per hour", "failures in 10 minutes", "points"'),
    window: z.object({ from: timestamp, to: timestamp }).describe('The period observed'),
    method: z.string().describe('How the baseline and threshold were computed, in words'),
    baselineSnapshot: z.record(z.string(), z.unknown()).nullable().describe('The baseline as stored when the alert fired (its inputs and statistics)'),
    series: z.array(alertSeriesPointSchema).max(400).describe('Observed against expected around the finding, oldest first, for a chart'),
    decisionIds: z.array(z.string()).max(100).describe('Decisions behind the finding (GET /api/v1/decisions/{id})'),
    auditEventIds: z.array(z.string()).max(100).describe('Audit events behind the finding (GET /api/v1/audit-events?ids=…)'),
    details: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .describe('Detector-specific facts: the new action, the network prefix, the key id, the failure reasons and counts…'),
  })
  .meta({ id: 'AlertEvidence' });
export type AlertEvidence = z.infer<typeof alertEvidenceSchema>;

const actor = z.object({ type: z.enum(['user', 'api_key', 'system']), id: z.string().nullable() }).meta({ id: 'AlertActor' });

export const alertSchema = z
  .object({
    id: alertIdSchema,
    organizationId: organizationIdSchema,
    type: detectorSchema,
    severity: alertSeveritySchema,
    subject: alertSubjectSchema,
    status: alertStatusSchema,
    snoozedUntil: timestamp.nullable(),
    assigneeId: userIdSchema.nullable(),
    title: z.string(),
    summary: z.string().describe('One or two sentences with the numbers'),
    dedupKey: z.string().describe('Findings with the same key count on this alert while it is active'),
    occurrences: z.number().int().positive().describe('How many findings this alert gathered'),
    firstSeenAt: timestamp,
    lastSeenAt: timestamp,
    evidence: alertEvidenceSchema,
    createdAt: timestamp,
    updatedAt: timestamp,
    acknowledgedAt: timestamp.nullable(),
    acknowledgedBy: actor.nullable(),
    resolvedAt: timestamp.nullable(),
    resolvedBy: actor.nullable(),
  })
  .meta({ id: 'Alert' });
export type AlertJson = z.infer<typeof alertSchema>;

export const alertNoteSchema = z
  .object({ id: alertNoteIdSchema, alertId: alertIdSchema, author: actor, body: z.string(), createdAt: timestamp })
  .meta({ id: 'AlertNote' });

export const alertEnvelopeSchema = z.object({ alert: alertSchema }).meta({ id: 'AlertEnvelope' });
export const alertDetailSchema = z
  .object({ alert: alertSchema, notes: z.array(alertNoteSchema).describe('Oldest first') })
  .meta({ id: 'AlertDetail' });

export const alertParamsSchema = z.object({ alertId: alertIdSchema });

const list = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]));

export const alertListQuerySchema = z.object({
  status: list(alertStatusSchema).optional().describe('One or more (repeat the parameter); default every status'),
  severity: list(alertSeveritySchema).optional(),
  type: list(detectorSchema).optional(),
  subjectType: z.enum(ALERT_SUBJECT_TYPES).optional(),
  subjectId: z.string().trim().min(1).max(40).optional(),
  assigneeId: userIdSchema.optional(),
  unassigned: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  since: instant.optional().describe('Last seen at or after'),
  until: instant.optional().describe('Last seen before'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: alertIdSchema.optional().describe('nextCursor of the previous page'),
});

export const alertListSchema = z
  .object({
    alerts: z.array(alertSchema).describe('Newest first (by id: when the alert was raised)'),
    nextCursor: alertIdSchema.nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'AlertList' });

const note = z.string().trim().min(1).max(4000);
/** At most 90 days ahead. */
export const ALERT_SNOOZE_MAX_DAYS = 90;

export const acknowledgeAlertSchema = z.object({ note: note.optional() }).meta({ id: 'AcknowledgeAlert' });
export const assignAlertSchema = z
  .object({ assigneeId: userIdSchema.nullable().describe('A member of the organization; null to unassign'), note: note.optional() })
  .meta({ id: 'AssignAlert', examples: [{ assigneeId: null }] });
export const resolveAlertSchema = z
  .object({
    resolution: z.enum(['resolved', 'false_positive']).default('resolved').describe('false_positive: it was not a problem'),
    note: note.optional(),
  })
  .meta({ id: 'ResolveAlert' });
export const snoozeAlertSchema = z
  .object({ until: instant.describe(`In the future, at most ${ALERT_SNOOZE_MAX_DAYS} days ahead`), note: note.optional() })
  .meta({ id: 'SnoozeAlert', examples: [{ until: '2030-01-01T00:00:00Z', note: 'Planned migration this week' }] });
export const reopenAlertSchema = z.object({ note: note.optional() }).meta({ id: 'ReopenAlert' });
export const addAlertNoteSchema = z.object({ body: note }).meta({ id: 'AddAlertNote', examples: [{ body: 'The owner confirms a planned migration.' }] });
export const alertNoteEnvelopeSchema = z.object({ note: alertNoteSchema }).meta({ id: 'AlertNoteEnvelope' });

export const ALERT_BULK_MAX = 100;
export const bulkAlertActionSchema = z
  .object({
    alertIds: z
      .array(alertIdSchema)
      .min(1)
      .max(ALERT_BULK_MAX)
      .refine((ids) => new Set(ids).size === ids.length, { message: 'name each alert once' }),
    action: z.enum(['acknowledge', 'resolve', 'false_positive', 'snooze', 'assign', 'reopen']),
    until: instant.optional().describe('For snooze'),
    assigneeId: userIdSchema.nullable().optional().describe('For assign'),
    note: note.optional(),
  })
  .meta({ id: 'BulkAlertAction', examples: [{ alertIds: ['alr_01jc0000000000000000000000'], action: 'acknowledge' }] });

export const bulkAlertResultSchema = z
  .object({
    results: z.array(
      z.object({
        alertId: alertIdSchema,
        ok: z.boolean(),
        alert: alertSchema.nullable().describe('The alert after the change; null when it failed'),
        error: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why this one failed (the same codes as the single actions)'),
      }),
    ),
  })
  .meta({ id: 'BulkAlertResult' });

// ---- learning findings, baselines ----------------------------------------------------------------

export const learningFindingSchema = z
  .object({
    agentId: agentIdSchema,
    type: detectorSchema,
    severity: alertSeveritySchema,
    title: z.string(),
    summary: z.string(),
    dedupKey: z.string(),
    occurrences: z.number().int().positive(),
    firstSeenAt: timestamp,
    lastSeenAt: timestamp,
    evidence: alertEvidenceSchema,
  })
  .meta({ id: 'LearningFinding', description: 'What a behavioural detector would have raised during the agent’s learning period' });

export const learningFindingListQuerySchema = z.object({
  agentId: agentIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(600).optional().describe('nextCursor of the previous page'),
});
export const learningFindingListSchema = z
  .object({ findings: z.array(learningFindingSchema).describe('Latest first'), nextCursor: z.string().nullable() })
  .meta({ id: 'LearningFindingList' });

// ---- security overview ----------------------------------------------------------------------------

export const securityOverviewQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(90).default(14) });

export const securityOverviewSchema = z
  .object({
    from: timestamp,
    to: timestamp,
    openBySeverity: z.record(alertSeveritySchema, z.number().int()).describe('Active alerts (open, acknowledged, snoozed) now'),
    alertsByDay: z.array(z.object({ day: z.string().describe('YYYY-MM-DD (UTC)'), info: z.number().int(), low: z.number().int(), medium: z.number().int(), high: z.number().int(), critical: z.number().int() })),
    topAgents: z.array(z.object({ agentId: agentIdSchema, name: z.string(), alerts: z.number().int(), active: z.number().int(), highest: alertSeveritySchema })).max(10),
    decisionsByDay: z.array(z.object({ day: z.string(), allowed: z.number().int(), denied: z.number().int(), pending: z.number().int() })),
    trustDistribution: z.array(z.object({ from: z.number(), to: z.number(), agents: z.number().int() })).describe('Active agents by score, in buckets of 10 points'),
    unscoredAgents: z.number().int(),
  })
  .meta({ id: 'SecurityOverview' });
