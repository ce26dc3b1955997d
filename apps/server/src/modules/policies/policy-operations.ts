import {
  createPolicySchema,
  policyEnvelopeSchema,
  policyListQuerySchema,
  policyListSchema,
  policyParamsSchema,
  policyVersionListSchema,
  updatePolicySchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { PolicyService } from './policy-service.js';

export interface PolicyFeatureDeps {
  policies: PolicyService;
}

/** Versioned organization policies, evaluated for every decision. */
export function policyFeature({ policies }: PolicyFeatureDeps): Feature {
  return {
    name: 'policies',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/policies',
        tag: 'policies',
        summary: "The organization's policies (their latest versions)",
        access: { auth: 'org', permission: 'policy.read' },
        query: policyListQuerySchema,
        responses: { 200: policyListSchema },
        handle: ({ ctx, query }) => policies.list(ctx, query),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/policies',
        tag: 'policies',
        summary: 'Create a policy (version 1)',
        access: { auth: 'org', permission: 'policy.manage' },
        body: createPolicySchema,
        responses: { 201: policyEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body }) => ({ policy: await policies.create(ctx, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/policies/:policyId',
        tag: 'policies',
        summary: 'One policy, at its latest version',
        access: { auth: 'org', permission: 'policy.read' },
        params: policyParamsSchema,
        responses: { 200: policyEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ policy: await policies.get(ctx, params.policyId) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/policies/:policyId/versions',
        tag: 'policies',
        summary: 'Every version of a policy, newest first',
        access: { auth: 'org', permission: 'policy.read' },
        params: policyParamsSchema,
        responses: { 200: policyVersionListSchema },
        handle: ({ ctx, params }) => policies.versions(ctx, params.policyId),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/policies/:policyId',
        tag: 'policies',
        summary: 'Change a policy: every change makes a new version',
        access: { auth: 'org', permission: 'policy.manage' },
        params: policyParamsSchema,
        body: updatePolicySchema,
        responses: { 200: policyEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ policy: await policies.update(ctx, params.policyId, body) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/policies/:policyId',
        tag: 'policies',
        summary: 'Delete a policy (a last version records it; history is kept)',
        access: { auth: 'org', permission: 'policy.manage' },
        params: policyParamsSchema,
        responses: { 200: policyEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ policy: await policies.remove(ctx, params.policyId) }),
      }),
    ],
  };
}
