import {
  agentParamsSchema,
  attestationEnvelopeSchema,
  attestationListSchema,
  createIncidentSchema,
  createRatingSchema,
  createSecurityReviewSchema,
  heartbeatSchema,
  incidentEnvelopeSchema,
  incidentListSchema,
  incidentParamsSchema,
  putAttestationSchema,
  ratingEnvelopeSchema,
  ratingListSchema,
  ratingParamsSchema,
  securityReviewEnvelopeSchema,
  securityReviewListSchema,
  trustHistoryQuerySchema,
  trustHistorySchema,
  trustScoreEnvelopeSchema,
  trustTrendQuerySchema,
  trustTrendSchema,
  updateRatingSchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { agentRequestContext, requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

const tags = ['trust'];

export function registerTrustRoutes(app: AppInstance, { trust, trustEvidence: evidence }: Services): void {
  app.get(
    '/api/v1/agents/:agentId/trust',
    {
      schema: {
        tags,
        summary: "The agent's latest trust score: tier, confidence, and each factor's value, weight, contribution and evidence",
        params: agentParamsSchema,
        response: { 200: trustScoreEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => ({ trust: await trust.explain(requestContext(request), request.params.agentId) }),
  );

  app.post(
    '/api/v1/agents/:agentId/recalculate-trust',
    {
      schema: { tags, summary: 'Recalculate the agent’s trust score now', params: agentParamsSchema, response: { 200: trustScoreEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'trust.recalculate' } },
    },
    async (request) => ({ trust: await trust.recalculateAgent(requestContext(request), request.params.agentId) }),
  );

  app.get(
    '/api/v1/agents/:agentId/trust-history',
    {
      schema: {
        tags,
        summary: 'Every stored score of the agent, newest first (keyset pagination)',
        params: agentParamsSchema,
        querystring: trustHistoryQuerySchema,
        response: { 200: trustHistorySchema },
      },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => trust.history(requestContext(request), request.params.agentId, request.query),
  );

  app.get(
    '/api/v1/trust/trends',
    {
      schema: {
        tags,
        summary: "The organization's trust trends: daily series, agents by tier, biggest movers",
        querystring: trustTrendQuerySchema,
        response: { 200: trustTrendSchema },
      },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => trust.trends(requestContext(request), request.query),
  );

  // ---- ratings --------------------------------------------------------------------------------

  app.get(
    '/api/v1/agents/:agentId/ratings',
    {
      schema: { tags, summary: "Members' ratings of the agent", params: agentParamsSchema, response: { 200: ratingListSchema } },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => evidence.ratings(requestContext(request), request.params.agentId),
  );

  app.post(
    '/api/v1/agents/:agentId/ratings',
    {
      schema: {
        tags,
        summary: 'Rate the agent (1–5, once per member; 409 rating_exists for a second)',
        params: agentParamsSchema,
        body: createRatingSchema,
        response: { 201: ratingEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'trust.rate' } },
    },
    async (request, reply) => reply.code(201).send({ rating: await evidence.rate(requestContext(request), request.params.agentId, request.body) }),
  );

  app.patch(
    '/api/v1/agents/:agentId/ratings/:ratingId',
    {
      schema: { tags, summary: 'Change your rating', params: ratingParamsSchema, body: updateRatingSchema, response: { 200: ratingEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'trust.rate' } },
    },
    async (request) => ({
      rating: await evidence.updateRating(requestContext(request), request.params.agentId, request.params.ratingId, request.body),
    }),
  );

  app.delete(
    '/api/v1/agents/:agentId/ratings/:ratingId',
    {
      schema: { tags, summary: 'Remove your rating', params: ratingParamsSchema, response: { 200: ratingEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'trust.rate' } },
    },
    async (request) => ({ rating: await evidence.removeRating(requestContext(request), request.params.agentId, request.params.ratingId) }),
  );

  // ---- security reviews and incidents ---------------------------------------------------------

  app.get(
    '/api/v1/agents/:agentId/security-reviews',
    {
      schema: { tags, summary: 'Security reviews of the agent, newest first', params: agentParamsSchema, response: { 200: securityReviewListSchema } },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => evidence.reviews(requestContext(request), request.params.agentId),
  );

  app.post(
    '/api/v1/agents/:agentId/security-reviews',
    {
      schema: {
        tags,
        summary: 'Record a security review with its findings',
        params: agentParamsSchema,
        body: createSecurityReviewSchema,
        response: { 201: securityReviewEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'trust.review' } },
    },
    async (request, reply) => reply.code(201).send({ review: await evidence.addReview(requestContext(request), request.params.agentId, request.body) }),
  );

  app.get(
    '/api/v1/agents/:agentId/incidents',
    {
      schema: { tags, summary: 'Security incidents of the agent, newest first', params: agentParamsSchema, response: { 200: incidentListSchema } },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => evidence.incidents(requestContext(request), request.params.agentId),
  );

  app.post(
    '/api/v1/agents/:agentId/incidents',
    {
      schema: { tags, summary: 'Record a security incident', params: agentParamsSchema, body: createIncidentSchema, response: { 201: incidentEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'trust.review' } },
    },
    async (request, reply) => reply.code(201).send({ incident: await evidence.addIncident(requestContext(request), request.params.agentId, request.body) }),
  );

  app.post(
    '/api/v1/agents/:agentId/incidents/:incidentId/resolve',
    {
      schema: { tags, summary: 'Mark an incident resolved (it still counts, decaying with age)', params: incidentParamsSchema, response: { 200: incidentEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'trust.review' } },
    },
    async (request) => ({ incident: await evidence.resolveIncident(requestContext(request), request.params.agentId, request.params.incidentId) }),
  );

  // ---- attestations and heartbeats (agents) ---------------------------------------------------

  app.get(
    '/api/v1/agents/:agentId/attestations',
    {
      schema: { tags, summary: 'What other agents say of this agent', params: agentParamsSchema, response: { 200: attestationListSchema } },
      config: { access: { auth: 'org', permission: 'trust.read' } },
    },
    async (request) => evidence.attestations(requestContext(request), request.params.agentId),
  );

  app.put(
    '/api/v1/agents/me/attestations/:agentId',
    {
      schema: {
        tags,
        summary: 'The calling agent attests to another agent of its organization (replaces its earlier attestation)',
        params: agentParamsSchema,
        body: putAttestationSchema,
        response: { 200: attestationEnvelopeSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => ({ attestation: await evidence.attest(agentRequestContext(request), request.params.agentId, request.body) }),
  );

  app.delete(
    '/api/v1/agents/me/attestations/:agentId',
    {
      schema: { tags, summary: 'The calling agent withdraws its attestation', params: agentParamsSchema, response: { 200: attestationEnvelopeSchema } },
      config: { access: { auth: 'agent' } },
    },
    async (request) => ({ attestation: await evidence.withdrawAttestation(agentRequestContext(request), request.params.agentId) }),
  );

  app.post(
    '/api/v1/agents/me/heartbeat',
    {
      schema: { tags, summary: 'The calling agent is up (send one at least every minute; uptime counts minutes with one)', response: { 200: heartbeatSchema } },
      config: { access: { auth: 'agent' } },
    },
    async (request) => evidence.heartbeat(agentRequestContext(request)),
  );
}
