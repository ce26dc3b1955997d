import { z } from 'zod';
import { dateTimeSchema } from './instants.js';

/** The audit log: reading, filtering and verifying an organization's hash-chained events. */
const timestamp = z.string().describe('RFC 3339 timestamp');

export const auditEventSchema = z
  .object({
    id: z.string(),
    seq: z.number().int().positive().nullable().describe('Position in the organization’s hash chain; null for a moment, until the event is chained'),
    hash: z.string().nullable().describe('SHA-256 of the previous hash and this event’s canonical JSON, hex'),
    occurredAt: z.string().describe('UTC, microseconds'),
    actor: z.object({ type: z.enum(['user', 'agent', 'api_key', 'system']), id: z.string().nullable() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
    outcome: z.enum(['success', 'failure', 'denied']),
    requestId: z.string().nullable(),
    clientIp: z.string().nullable().describe('Read back decrypted when it was sealed under a person’s key (docs/privacy.md); null when erased'),
    userAgent: z.string().nullable().describe('Read back decrypted like clientIp; null when erased'),
    details: z.record(z.string(), z.unknown()),
    erased: z
      .array(z.string())
      .optional()
      .describe(
        'Members whose personal value was erased with its person’s key (`clientIp`, `userAgent`, `details.<name>`), shown as null; absent when none. The NDJSON export keeps the sealed values instead, as the chain hashes them',
      ),
  })
  .meta({ id: 'AuditEvent' });

export const auditEventPageSchema = z
  .object({
    events: z.array(auditEventSchema),
    names: z
      .record(z.string(), z.string())
      .describe(
        'Current names of the actors and targets on this page (agents, members, API keys, policies, capabilities, named enrollment tokens) and of the agents decision events are about, by id; anything deleted, or a person no longer a member, is absent',
      ),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null at the end'),
  })
  .meta({ id: 'AuditEventPage' });

const isoDate = dateTimeSchema();

export const auditQuerySchema = z
  .object({
    from: isoDate.optional().describe('Events at or after this time'),
    to: isoDate.optional().describe('Events before this time'),
    actorType: z.enum(['user', 'agent', 'api_key', 'system']).optional(),
    actorId: z.string().max(200).optional(),
    action: z
      .string()
      .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/, { message: 'must be an action such as member.remove, or a prefix such as member.*' })
      .max(100)
      .optional(),
    targetType: z.string().regex(/^[a-z][a-z0-9_]*$/).max(100).optional(),
    targetId: z.string().max(200).optional(),
    outcome: z.enum(['success', 'failure', 'denied']).optional(),
    q: z.string().min(1).max(200).optional().describe('Free text, matched in the action, target, actor and details'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().regex(/^\d{1,18}$/, { message: 'must be a cursor from a previous page' }).optional(),
  })
  .strict();

export const auditVerifyQuerySchema = z
  .object({
    fromSeq: z.coerce.number().int().min(1).optional(),
    toSeq: z.coerce.number().int().min(1).optional(),
  })
  .strict();

export const auditVerificationSchema = z
  .object({
    status: z.enum(['intact', 'broken']),
    checked: z.number().int().nonnegative().describe('Events verified'),
    fromSeq: z.number().int(),
    lastSeq: z.number().int().nullable().describe('The last event verified (intact)'),
    headSeq: z.number().int().describe('The last event the database recorded for the chain'),
    brokenAt: z.number().int().nullable().describe('The first event that does not verify'),
    reason: z.string().nullable(),
    checkpoints: z.number().int().nonnegative().describe('Signed checkpoints checked against the chain'),
  })
  .meta({ id: 'AuditVerification' });

export const auditExportQuerySchema = z
  .object({
    format: z.enum(['ndjson', 'csv']).default('ndjson'),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .strict();

export const auditCheckpointSchema = z
  .object({
    organizationId: z.string(),
    seq: z.number().int().positive(),
    hash: z.string().describe('hex'),
    signedAt: z.string(),
    kid: z.string().describe('Key id in /.well-known/aim-audit-keys.json'),
    signature: z.string().describe('Ed25519 over the RFC 8785 JSON of {organizationId, seq, hash, signedAt}, base64url'),
    tsaToken: z
      .string()
      .nullable()
      .describe('The RFC 3161 TimeStampToken (DER, standard base64) whose message imprint is SHA-256 of the 64 signature bytes; null until stamped'),
    tsaStatus: z
      .enum(['none', 'pending', 'stamped', 'failed'])
      .describe('none: no time-stamping authority configured; pending: not asked yet; stamped; failed: the last attempt failed, retried with back-off'),
    witnessedAt: z.string().nullable().describe('When the witness (AUDIT_WITNESS) accepted this checkpoint; null when none is configured or it has not yet'),
  })
  .meta({ id: 'AuditCheckpoint' });
export const auditCheckpointListSchema = z.object({ checkpoints: z.array(auditCheckpointSchema) }).meta({ id: 'AuditCheckpointList' });
export const jwksSchema = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: 'JsonWebKeySet' });
