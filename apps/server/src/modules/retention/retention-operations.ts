import { errorEnvelopeSchema, legalHoldChangeSchema, legalHoldSchema, retentionSettingsSchema, updateRetentionSchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { FeatureJob } from '../../platform/jobs/feature-jobs.js';
import type { RetentionService } from './retention-service.js';

/** Retention and the legal hold (docs/retention.md). */
export function retentionFeature(deps: { retention: RetentionService; jobs: FeatureJob[] }): Feature {
  return {
    name: 'retention',
    jobs: deps.jobs,
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/compliance/retention',
        tag: 'compliance',
        summary: 'How long the organization’s data is kept, what the deployment sets for everyone, and the legal hold',
        access: { auth: 'org', permission: 'compliance.read' },
        responses: { 200: retentionSettingsSchema },
        handle: ({ ctx }) => deps.retention.get(ctx),
      }),
      defineOperation({
        method: 'PUT',
        path: '/api/v1/compliance/retention',
        tag: 'compliance',
        summary: 'Change the retention of audit events and of decisions',
        description:
          'What the body leaves out keeps its value; null keeps audit events forever, and gives decisions the deployment default. A value outside the limits answers retention_out_of_range. Audited as retention.updated with each changed value; a body that changes nothing changes and audits nothing. A shorter retention applies at the next daily run, unless the organization is on legal hold.',
        access: { auth: 'org', permission: 'compliance.manage' },
        body: updateRetentionSchema,
        responses: { 200: retentionSettingsSchema },
        handle: ({ ctx, body }) => deps.retention.update(ctx, body),
      }),
      defineOperation({
        method: 'PUT',
        path: '/api/v1/compliance/legal-hold',
        tag: 'compliance',
        summary: 'Place or release the legal hold: while it is placed, nothing of the organization’s data is deleted',
        description:
          'enabled true places the hold and needs a reason (legal_hold_reason_required), answering legal_hold_already_placed when one is placed; enabled false releases it (legal_hold_not_placed when there is none), and the next retention runs catch up. Audited as legal_hold.placed or legal_hold.released.',
        access: { auth: 'org', permission: 'compliance.manage' },
        body: legalHoldChangeSchema,
        responses: { 200: legalHoldSchema, 409: errorEnvelopeSchema },
        handle: ({ ctx, body }) => deps.retention.setLegalHold(ctx, body),
      }),
    ],
  };
}
