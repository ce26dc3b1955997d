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
import type { AppInstance } from '../../app.js';
import { agentRequestContext, requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

const tags = ['capabilities'];

export function registerCapabilityRoutes(app: AppInstance, { capabilities }: Services): void {
  app.get(
    '/api/v1/capabilities',
    {
      schema: { tags, summary: "The organization's capability catalog", response: { 200: capabilityListSchema } },
      config: { access: { auth: 'org', permission: 'capability.read' } },
    },
    async (request) => capabilities.list(requestContext(request)),
  );

  app.post(
    '/api/v1/capabilities',
    {
      schema: { tags, summary: 'Add a capability to the catalog', body: createCapabilitySchema, response: { 201: capabilityEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request, reply) => reply.code(201).send({ capability: await capabilities.create(requestContext(request), request.body) }),
  );

  app.get(
    '/api/v1/capabilities/:capabilityId',
    {
      schema: { tags, summary: 'One capability', params: capabilityParamsSchema, response: { 200: capabilityEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'capability.read' } },
    },
    async (request) => ({ capability: await capabilities.get(requestContext(request), request.params.capabilityId) }),
  );

  app.patch(
    '/api/v1/capabilities/:capabilityId',
    {
      schema: {
        tags,
        summary: "Change a capability's description or risk level (decisions use the new risk at once)",
        params: capabilityParamsSchema,
        body: updateCapabilitySchema,
        response: { 200: capabilityEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request) => ({ capability: await capabilities.update(requestContext(request), request.params.capabilityId, request.body) }),
  );

  app.delete(
    '/api/v1/capabilities/:capabilityId',
    {
      schema: {
        tags,
        summary: 'Remove a capability that was never granted (otherwise 409 capability_in_use)',
        params: capabilityParamsSchema,
        response: { 200: capabilityEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request) => ({ capability: await capabilities.remove(requestContext(request), request.params.capabilityId) }),
  );

  app.get(
    '/api/v1/agents/:agentId/grants',
    {
      schema: {
        tags,
        summary: "An agent's capability grants",
        params: agentParamsSchema,
        querystring: grantListQuerySchema,
        response: { 200: grantListSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.read' } },
    },
    async (request) => capabilities.grants(requestContext(request), request.params.agentId, request.query.status),
  );

  app.post(
    '/api/v1/agents/:agentId/grants',
    {
      schema: {
        tags,
        summary: 'Grant a capability to an agent, optionally for matching resources only and until an expiry',
        params: agentParamsSchema,
        body: createGrantSchema,
        response: { 201: grantEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request, reply) => reply.code(201).send({ grant: await capabilities.grant(requestContext(request), request.params.agentId, request.body) }),
  );

  app.delete(
    '/api/v1/agents/:agentId/grants/:grantId',
    {
      schema: { tags, summary: 'Revoke a grant (effective on the next decision)', params: grantParamsSchema, response: { 200: grantEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request) => ({ grant: await capabilities.revokeGrant(requestContext(request), request.params.agentId, request.params.grantId) }),
  );

  app.post(
    '/api/v1/agents/:agentId/capability-requests',
    {
      schema: {
        tags,
        summary: "Ask for a capability for an agent (its owner, managers and admins); an open request for the same capability is answered instead",
        params: agentParamsSchema,
        body: createCapabilityRequestSchema,
        response: { 201: capabilityRequestEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.request' } },
    },
    async (request, reply) =>
      reply.code(201).send({ request: await capabilities.request(requestContext(request), request.params.agentId, request.body) }),
  );

  app.post(
    '/api/v1/agents/me/capability-requests',
    {
      schema: {
        tags,
        summary: 'The calling agent asks for a capability for itself',
        body: createCapabilityRequestSchema,
        response: { 201: capabilityRequestEnvelopeSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request, reply) => reply.code(201).send({ request: await capabilities.requestAsAgent(agentRequestContext(request), request.body) }),
  );

  app.get(
    '/api/v1/agents/me/capability-requests',
    {
      schema: {
        tags,
        summary: "The calling agent's capability requests, newest first (keyset pagination)",
        querystring: ownCapabilityRequestListQuerySchema,
        response: { 200: capabilityRequestListSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => capabilities.requestsOfAgent(agentRequestContext(request), request.query),
  );

  app.get(
    '/api/v1/agents/me/grants',
    {
      schema: { tags, summary: "The calling agent's active grants", response: { 200: grantListSchema } },
      config: { access: { auth: 'agent' } },
    },
    async (request) => capabilities.grantsOfAgent(agentRequestContext(request)),
  );

  app.get(
    '/api/v1/capability-requests',
    {
      schema: {
        tags,
        summary: 'Capability requests, newest first (keyset pagination)',
        querystring: capabilityRequestListQuerySchema,
        response: { 200: capabilityRequestListSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.read' } },
    },
    async (request) => capabilities.requests(requestContext(request), request.query),
  );

  app.get(
    '/api/v1/capability-requests/:requestId',
    {
      schema: { tags, summary: 'One capability request', params: capabilityRequestParamsSchema, response: { 200: capabilityRequestEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'capability.read' } },
    },
    async (request) => ({ request: await capabilities.getRequest(requestContext(request), request.params.requestId) }),
  );

  app.post(
    '/api/v1/capability-requests/:requestId/approve',
    {
      schema: {
        tags,
        summary: 'Approve a request, optionally narrowing its resource pattern or setting an expiry; the grant is made in the same step',
        params: capabilityRequestParamsSchema,
        body: approveCapabilityRequestSchema.nullish(),
        response: { 200: capabilityRequestEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request) => ({ request: await capabilities.approve(requestContext(request), request.params.requestId, request.body ?? {}) }),
  );

  app.post(
    '/api/v1/capability-requests/:requestId/reject',
    {
      schema: {
        tags,
        summary: 'Reject a request with a note',
        params: capabilityRequestParamsSchema,
        body: rejectCapabilityRequestSchema,
        response: { 200: capabilityRequestEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.manage' } },
    },
    async (request) => ({ request: await capabilities.reject(requestContext(request), request.params.requestId, request.body) }),
  );

  app.post(
    '/api/v1/capability-requests/:requestId/cancel',
    {
      schema: {
        tags,
        summary: 'Withdraw an open request (whoever may ask for the agent)',
        params: capabilityRequestParamsSchema,
        response: { 200: capabilityRequestEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'capability.request' } },
    },
    async (request) => ({ request: await capabilities.cancel(requestContext(request), request.params.requestId) }),
  );
}
