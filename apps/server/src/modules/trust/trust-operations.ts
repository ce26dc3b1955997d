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
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { TrustEvidenceService } from './evidence-service.js';
import type { TrustService } from './trust-service.js';

export interface TrustFeatureDeps {
  trust: TrustService;
  evidence: TrustEvidenceService;
}

/** Trust scores, their history and trends, and the evidence behind them: ratings, reviews, incidents, attestations, heartbeats. */
export function trustFeature({ trust, evidence }: TrustFeatureDeps): Feature {
  return {
    name: 'trust',
    operations: [
      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/trust',
        tag: 'trust',
        summary: "The agent's latest trust score: tier, confidence, and each factor's value, weight, contribution and evidence",
        access: { auth: 'org', permission: 'trust.read' },
        params: agentParamsSchema,
        responses: { 200: trustScoreEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ trust: await trust.explain(ctx, params.agentId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/recalculate-trust',
        tag: 'trust',
        summary: 'Recalculate the agent’s trust score now',
        access: { auth: 'org', permission: 'trust.recalculate' },
        params: agentParamsSchema,
        responses: { 200: trustScoreEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ trust: await trust.recalculateAgent(ctx, params.agentId) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/trust-history',
        tag: 'trust',
        summary: 'Every stored score of the agent, newest first (keyset pagination)',
        access: { auth: 'org', permission: 'trust.read' },
        params: agentParamsSchema,
        query: trustHistoryQuerySchema,
        responses: { 200: trustHistorySchema },
        handle: ({ ctx, params, query }) => trust.history(ctx, params.agentId, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/trust/trends',
        tag: 'trust',
        summary: "The organization's trust trends: daily series, agents by tier, biggest movers",
        access: { auth: 'org', permission: 'trust.read' },
        query: trustTrendQuerySchema,
        responses: { 200: trustTrendSchema },
        handle: ({ ctx, query }) => trust.trends(ctx, query),
      }),

      // ---- ratings ------------------------------------------------------------------------------

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/ratings',
        tag: 'trust',
        summary: "Members' ratings of the agent",
        access: { auth: 'org', permission: 'trust.read' },
        params: agentParamsSchema,
        responses: { 200: ratingListSchema },
        handle: ({ ctx, params }) => evidence.ratings(ctx, params.agentId),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/ratings',
        tag: 'trust',
        summary: 'Rate the agent (1–5, once per member; 409 rating_exists for a second)',
        access: { auth: 'org', permission: 'trust.rate' },
        params: agentParamsSchema,
        body: createRatingSchema,
        responses: { 201: ratingEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params, body }) => ({ rating: await evidence.rate(ctx, params.agentId, body) }),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/agents/:agentId/ratings/:ratingId',
        tag: 'trust',
        summary: 'Change your rating',
        access: { auth: 'org', permission: 'trust.rate' },
        params: ratingParamsSchema,
        body: updateRatingSchema,
        responses: { 200: ratingEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ rating: await evidence.updateRating(ctx, params.agentId, params.ratingId, body) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/agents/:agentId/ratings/:ratingId',
        tag: 'trust',
        summary: 'Remove your rating',
        access: { auth: 'org', permission: 'trust.rate' },
        params: ratingParamsSchema,
        responses: { 200: ratingEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ rating: await evidence.removeRating(ctx, params.agentId, params.ratingId) }),
      }),

      // ---- security reviews and incidents -------------------------------------------------------

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/security-reviews',
        tag: 'trust',
        summary: 'Security reviews of the agent, newest first',
        access: { auth: 'org', permission: 'trust.read' },
        params: agentParamsSchema,
        responses: { 200: securityReviewListSchema },
        handle: ({ ctx, params }) => evidence.reviews(ctx, params.agentId),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/security-reviews',
        tag: 'trust',
        summary: 'Record a security review with its findings',
        access: { auth: 'org', permission: 'trust.review' },
        params: agentParamsSchema,
        body: createSecurityReviewSchema,
        responses: { 201: securityReviewEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params, body }) => ({ review: await evidence.addReview(ctx, params.agentId, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/incidents',
        tag: 'trust',
        summary: 'Security incidents of the agent, newest first',
        access: { auth: 'org', permission: 'trust.read' },
        params: agentParamsSchema,
        responses: { 200: incidentListSchema },
        handle: ({ ctx, params }) => evidence.incidents(ctx, params.agentId),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/incidents',
        tag: 'trust',
        summary: 'Record a security incident',
        access: { auth: 'org', permission: 'trust.review' },
        params: agentParamsSchema,
        body: createIncidentSchema,
        responses: { 201: incidentEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, params, body }) => ({ incident: await evidence.addIncident(ctx, params.agentId, body) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/incidents/:incidentId/resolve',
        tag: 'trust',
        summary: 'Mark an incident resolved (it still counts, decaying with age)',
        access: { auth: 'org', permission: 'trust.review' },
        params: incidentParamsSchema,
        responses: { 200: incidentEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ incident: await evidence.resolveIncident(ctx, params.agentId, params.incidentId) }),
      }),

      // ---- attestations and heartbeats (agents) -------------------------------------------------

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId/attestations',
        tag: 'trust',
        summary: 'What other agents say of this agent',
        access: { auth: 'org', permission: 'trust.read' },
        params: agentParamsSchema,
        responses: { 200: attestationListSchema },
        handle: ({ ctx, params }) => evidence.attestations(ctx, params.agentId),
      }),

      defineOperation({
        method: 'PUT',
        path: '/api/v1/agents/me/attestations/:agentId',
        tag: 'trust',
        summary: 'The calling agent attests to another agent of its organization (replaces its earlier attestation)',
        access: { auth: 'agent' },
        params: agentParamsSchema,
        body: putAttestationSchema,
        responses: { 200: attestationEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ attestation: await evidence.attest(ctx, params.agentId, body) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/agents/me/attestations/:agentId',
        tag: 'trust',
        summary: 'The calling agent withdraws its attestation',
        access: { auth: 'agent' },
        params: agentParamsSchema,
        responses: { 200: attestationEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ attestation: await evidence.withdrawAttestation(ctx, params.agentId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/me/heartbeat',
        tag: 'trust',
        summary: 'The calling agent is up (send one at least every minute; uptime counts minutes with one)',
        access: { auth: 'agent' },
        responses: { 200: heartbeatSchema },
        handle: ({ ctx }) => evidence.heartbeat(ctx),
      }),
    ],
  };
}
