import { Readable } from 'node:stream';
import { z } from 'zod';
import {
  auditCheckpointListSchema,
  auditCheckpointSchema,
  auditEventPageSchema,
  auditExportQuerySchema,
  auditQuerySchema,
  auditVerificationSchema,
  auditVerifyQuerySchema,
  jwksSchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { readableEventJson, type AuditService } from './audit-service.js';
import type { CheckpointFollower } from './audit-follower.js';

export interface AuditFeatureDeps {
  audit: AuditService;
  /** Checkpoints that follow the chain's growth, and the anchoring retries (audit-follower.ts). */
  follower?: CheckpointFollower;
}

/** The hash-chained audit log: reading, exporting and verifying it, and its signed checkpoints. */
export function auditFeature({ audit, follower }: AuditFeatureDeps): Feature {
  return {
    name: 'audit',
    ...(follower ? { subscriptions: [follower.subscription], start: () => follower.start(), stop: () => follower.stop() } : {}),
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/audit-logs',
        tag: 'audit',
        summary: "Your organization's audit events, newest first, with filters and keyset pagination",
        access: { auth: 'org', permission: 'audit.read' },
        query: auditQuerySchema,
        responses: { 200: auditEventPageSchema },
        handle: async ({ ctx, query }) => {
          const { limit, cursor, ...filter } = query;
          const page = await audit.list(ctx, filter, limit, cursor);
          return { events: page.events.map(readableEventJson), names: page.names, nextCursor: page.nextCursor };
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/audit-logs/export',
        tag: 'audit',
        summary: 'Export events of a time range, streamed: NDJSON (for the offline verifier) or CSV',
        access: { auth: 'org', permission: 'audit.read' },
        query: auditExportQuerySchema,
        responses: { 200: z.string().describe('NDJSON: a header line, then one event per line; or CSV') },
        handle: async ({ ctx, query, reply }) => {
          const lines = await audit.export(ctx, query);
          const csv = query.format === 'csv';
          const stamp = new Date().toISOString().replaceAll(':', '-');
          reply
            .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
            .header('content-disposition', `attachment; filename="aim-audit-${stamp}.${csv ? 'csv' : 'ndjson'}"`);
          return reply.send(Readable.from(lines) as never);
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/audit-logs/checkpoints',
        tag: 'audit',
        summary: 'Sign the current head of your organization’s chain (a checkpoint auditors can keep)',
        access: { auth: 'org', permission: 'audit.checkpoint' },
        responses: { 201: auditCheckpointSchema },
        status: 201,
        handle: ({ ctx }) => audit.checkpoint(ctx),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/audit-logs/checkpoints',
        tag: 'audit',
        summary: 'Signed checkpoints of your organization’s chain',
        access: { auth: 'org', permission: 'audit.read' },
        responses: { 200: auditCheckpointListSchema },
        handle: async ({ ctx }) => ({ checkpoints: await audit.checkpoints(ctx) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/.well-known/aim-audit-keys.json',
        tag: 'audit',
        summary: 'Public keys that sign audit checkpoints (JWK set, retired keys included)',
        access: { auth: 'public' },
        responses: { 200: jwksSchema },
        handle: ({ reply }) => {
          reply.header('cache-control', 'public, max-age=300');
          return audit.publicKeys();
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/audit-logs/verify',
        tag: 'audit',
        summary: "Re-walk your organization's hash chain (or a range) and report intact, or the first broken event",
        access: { auth: 'org', permission: 'audit.read' },
        query: auditVerifyQuerySchema,
        responses: { 200: auditVerificationSchema },
        handle: ({ ctx, query }) => audit.verify(ctx, query),
      }),
    ],
  };
}
