import { z } from 'zod';
import { auditEventSchema } from './audit.js';
import { roleSchema } from './roles.js';
import { userIdSchema } from './people.js';

/** Personal data: a person's export (GDPR Art. 15/20) and erasure (Art. 17); docs/privacy.md. */
const timestamp = z.string().describe('RFC 3339 timestamp');

export const privacyPersonParamsSchema = z.object({ userId: userIdSchema });

export const personDataExportSchema = z
  .object({
    type: z.literal('aim.person_export'),
    version: z.literal(1),
    exportedAt: timestamp,
    organizationId: z.string().nullable().describe('The organization that exported it; null for your own export (every organization you belong to)'),
    person: z.object({
      id: z.string(),
      email: z.string(),
      name: z.string(),
      status: z.enum(['active', 'disabled', 'erased']),
      emailVerified: z.boolean(),
      createdAt: timestamp,
    }),
    memberships: z.array(z.object({ organizationId: z.string(), organizationName: z.string(), role: roleSchema, joinedAt: timestamp })),
    sessions: z.array(
      z.object({
        id: z.string(),
        authMethod: z.string(),
        userAgent: z.string().nullable(),
        clientIp: z.string().nullable(),
        createdAt: timestamp,
        lastSeenAt: timestamp,
        expiresAt: timestamp,
        revokedAt: timestamp.nullable(),
      }),
    ),
    passkeys: z.array(
      z.object({ id: z.string(), name: z.string(), deviceType: z.string(), backedUp: z.boolean(), createdAt: timestamp, lastUsedAt: timestamp.nullable() }),
    ),
    identities: z.array(z.object({ issuer: z.string(), subject: z.string(), createdAt: timestamp, lastUsedAt: timestamp })),
    apiKeys: z.array(
      z.object({
        id: z.string(),
        organizationId: z.string(),
        name: z.string(),
        prefix: z.string(),
        role: roleSchema,
        createdAt: timestamp,
        expiresAt: timestamp.nullable(),
        revokedAt: timestamp.nullable(),
        lastUsedAt: timestamp.nullable(),
      }),
    ),
    agents: z.array(z.object({ id: z.string(), organizationId: z.string(), name: z.string(), status: z.string(), createdAt: timestamp })),
    auditEvents: z
      .array(auditEventSchema.extend({ organizationId: z.string() }))
      .describe('Events by the person or about them (actor or target), personal members decrypted; at most 10,000 per organization, newest first'),
    auditEventsTruncated: z.boolean().describe('True when an organization had more events about the person than the export carries'),
  })
  .meta({ id: 'PersonDataExport' });

export const erasureRequestSchema = z
  .object({
    confirm: z
      .string()
      .min(1)
      .max(320)
      .describe('The person’s email address (any case), or the literal `ERASE <userId>`: proof that the right person is being erased'),
  })
  .meta({ id: 'ErasureRequest', examples: [{ confirm: 'ERASE usr_01j9z8k7m6n5p4q3r2s1t0v9w8' }] });

export const privacyRequestSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    kind: z.enum(['export', 'erasure']),
    requestedBy: z.string().describe('Who asked: a user id, or an API key id'),
    createdAt: timestamp,
    completedAt: timestamp.nullable(),
  })
  .meta({ id: 'PrivacyRequest' });

export const erasureResultSchema = z
  .object({
    request: privacyRequestSchema,
    erased: z.object({
      keyId: z.string().describe('The person key destroyed (pdk_…)'),
      sessions: z.number().int(),
      passkeys: z.number().int(),
      identities: z.number().int(),
      invitations: z.number().int().describe('Invitations sent to their address or accepted by them, deleted'),
      invitationsRevoked: z.number().int().describe('Pending invitations they had sent, revoked'),
      notifications: z.number().int(),
      apiKeysRevoked: z.number().int(),
    }),
    auditEventId: z.string().describe('The `person.erased` audit event'),
  })
  .meta({ id: 'ErasureResult' });

export const privacyRequestListSchema = z.object({ requests: z.array(privacyRequestSchema) }).meta({ id: 'PrivacyRequestList' });
