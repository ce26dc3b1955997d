import {
  agentParamsSchema,
  approveCapabilityRequestSchema,
  capabilityEnvelopeSchema,
  capabilityListSchema,
  capabilityParamsSchema,
  capabilityRequestEnvelopeSchema,
  capabilityRequestListQuerySchema,
  capabilityRequestListSchema,
  capabilityRequestParamsSchema,
  createCapabilityRequestSchema,
  createCapabilitySchema,
  createGrantSchema,
  grantEnvelopeSchema,
  grantListQuerySchema,
  grantListSchema,
  grantParamsSchema,
  ownCapabilityRequestListQuerySchema,
  rejectCapabilityRequestSchema,
  updateCapabilitySchema,
} from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { CapabilityService } from './capability-service.js';

export interface CapabilityFeatureDeps {
  capabilities: CapabilityService;
}

/** The capability catalog, grants to agents, and capability requests (asked by owners or agents, answered by managers). */
export function capabilityFeature({ capabilities }: CapabilityFeatureDeps): Feature {
  return {
    name: 'capabilities',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/capabilities',
        tag: 'capabilities',
        summary: "The organization's capability catalog",
        access: { auth: 'org', permission: 'capability.read' },
        responses: { 200: capabilityListSchema },
        handle: ({ ctx }) => capabilities.list(ctx),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/capabilities',
        tag: 'capabilities',
        summary: 'Add a capability to the catalog',
        access: { auth: 'org', permission: 'capability.manage' },
        body: createCapabilitySchema,
        responses: { 201: capabilityEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body }) => ({ capability: await capabilities.create(ctx, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/capabilities/:capabilityId',
        tag: 'capabilities',
        summary: 'One capability',
        access: { auth: 'org', permission: 'capability.read' },
        params: capabilityParamsSchema,
        responses: { 200: capabilityEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ capability: await capabilities.get(ctx, params.capabilityId) }),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/capabilities/:capabilityId',
        tag: 'capabilities',
        summary: "Change a capability's description or risk level (decisions use the new risk at once)",
        access: { auth: 'org', permission: 'capability.manage' },
        params: capabilityParamsSchema,
        body: updateCapabilitySchema,
        responses: { 200: capabilityEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ capability: await capabilities.update(ctx, params.capabilityId, body) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/capabilities/:capabilityId',
        tag: 'capabilities',
        summary: 'Remove a capability that was never granted (otherwise 409 capability_in_use)',
        access: { auth: 'org', permission: 'capability.manage' },
        params: capabilityParamsSchema,
        responses: { 200: capabilityEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ capability: await capabilities.remove(ctx, params.capabilityId) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/grants',
        tag: 'capabilities',
        summary: "An agent's capability grants",
        access: { auth: 'org', permission: 'capability.read' },
        params: agentParamsSchema,
        query: grantListQuerySchema,
        responses: { 200: grantListSchema },
        handle: ({ ctx, params, query }) => capabilities.grants(ctx, params.agentId, query.status),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/grants',
        tag: 'capabilities',
        summary: 'Grant a capability to an agent, optionally for matching resources only and until an expiry',
        access: { auth: 'org', permission: 'capability.manage' },
        params: agentParamsSchema,
        body: createGrantSchema,
        responses: { 201: grantEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params, body }) => ({ grant: await capabilities.grant(ctx, params.agentId, body) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/agents/:agentId/grants/:grantId',
        tag: 'capabilities',
        summary: 'Revoke a grant (effective on the next decision)',
        access: { auth: 'org', permission: 'capability.manage' },
        params: grantParamsSchema,
        responses: { 200: grantEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ grant: await capabilities.revokeGrant(ctx, params.agentId, params.grantId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/capability-requests',
        tag: 'capabilities',
        summary: "Ask for a capability for an agent (its owner, managers and admins); an open request for the same capability is answered instead",
        access: { auth: 'org', permission: 'capability.request' },
        params: agentParamsSchema,
        body: createCapabilityRequestSchema,
        responses: { 201: capabilityRequestEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params, body }) => ({ request: await capabilities.request(ctx, params.agentId, body) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/me/capability-requests',
        tag: 'capabilities',
        summary: 'The calling agent asks for a capability for itself',
        access: { auth: 'agent' },
        body: createCapabilityRequestSchema,
        responses: { 201: capabilityRequestEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body }) => ({ request: await capabilities.requestAsAgent(ctx, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/me/capability-requests',
        tag: 'capabilities',
        summary: "The calling agent's capability requests, newest first (keyset pagination)",
        access: { auth: 'agent' },
        query: ownCapabilityRequestListQuerySchema,
        responses: { 200: capabilityRequestListSchema },
        handle: ({ ctx, query }) => capabilities.requestsOfAgent(ctx, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/me/grants',
        tag: 'capabilities',
        summary: "The calling agent's active grants",
        access: { auth: 'agent' },
        responses: { 200: grantListSchema },
        handle: ({ ctx }) => capabilities.grantsOfAgent(ctx),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/capability-requests',
        tag: 'capabilities',
        summary: 'Capability requests, newest first (keyset pagination)',
        access: { auth: 'org', permission: 'capability.read' },
        query: capabilityRequestListQuerySchema,
        responses: { 200: capabilityRequestListSchema },
        handle: ({ ctx, query }) => capabilities.requests(ctx, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/capability-requests/:requestId',
        tag: 'capabilities',
        summary: 'One capability request',
        access: { auth: 'org', permission: 'capability.read' },
        params: capabilityRequestParamsSchema,
        responses: { 200: capabilityRequestEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ request: await capabilities.getRequest(ctx, params.requestId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/capability-requests/:requestId/approve',
        tag: 'capabilities',
        summary: 'Approve a request, optionally narrowing its resource pattern or setting an expiry; the grant is made in the same step',
        access: { auth: 'org', permission: 'capability.manage' },
        params: capabilityRequestParamsSchema,
        body: approveCapabilityRequestSchema.nullish(),
        responses: { 200: capabilityRequestEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ request: await capabilities.approve(ctx, params.requestId, body ?? {}) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/capability-requests/:requestId/reject',
        tag: 'capabilities',
        summary: 'Reject a request with a note',
        access: { auth: 'org', permission: 'capability.manage' },
        params: capabilityRequestParamsSchema,
        body: rejectCapabilityRequestSchema,
        responses: { 200: capabilityRequestEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ request: await capabilities.reject(ctx, params.requestId, body) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/capability-requests/:requestId/cancel',
        tag: 'capabilities',
        summary: 'Withdraw an open request (whoever may ask for the agent)',
        access: { auth: 'org', permission: 'capability.request' },
        params: capabilityRequestParamsSchema,
        responses: { 200: capabilityRequestEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ request: await capabilities.cancel(ctx, params.requestId) }),
      }),
    ],
  };
}
