import { erasureRequestSchema, erasureResultSchema, personDataExportSchema, privacyPersonParamsSchema, privacyRequestListSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { PrivacyService } from './privacy-service.js';

/** A person's data: export (yours, or a member's for privacy.manage), erasure, and the record of both. */
export function privacyFeature({ privacy }: { privacy: PrivacyService }): Feature {
  return {
    name: 'privacy',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/me/data-export',
        tag: 'me',
        summary: 'Everything AIM holds about you, from every organization you belong to, as JSON (GDPR Art. 15 and 20)',
        access: { auth: 'user' },
        responses: { 200: personDataExportSchema },
        handle: ({ ctx }) => privacy.exportMine(ctx),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/privacy/people/:userId/export',
        tag: 'privacy',
        summary: 'Everything the organization holds about one of its people, decrypted, as JSON; recorded as a privacy request',
        access: { auth: 'org', permission: 'privacy.manage' },
        params: privacyPersonParamsSchema,
        responses: { 200: personDataExportSchema },
        handle: ({ ctx, params }) => privacy.exportPerson(ctx, params.userId),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/privacy/people/:userId/erasure',
        tag: 'privacy',
        summary: 'Erase a person (GDPR Art. 17): their key destroyed, their access ended at once; the audit chain still verifies',
        access: { auth: 'org', permission: 'privacy.manage' },
        params: privacyPersonParamsSchema,
        body: erasureRequestSchema,
        responses: { 200: erasureResultSchema },
        handle: ({ ctx, params, body }) => privacy.erase(ctx, params.userId, body.confirm),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/privacy/requests',
        tag: 'privacy',
        summary: 'The organization’s export and erasure requests, newest first (the last 200)',
        access: { auth: 'org', permission: 'privacy.manage' },
        responses: { 200: privacyRequestListSchema },
        handle: ({ ctx }) => privacy.listRequests(ctx),
      }),
    ],
  };
}
