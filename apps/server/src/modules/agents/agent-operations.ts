import {
  agentDetailSchema,
  agentEnvelopeSchema,
  agentIdentitySchema,
  agentKeyParamsSchema,
  agentLifecycleSchema,
  agentListQuerySchema,
  agentListSchema,
  agentParamsSchema,
  challengeSchema,
  createEnrollmentTokenSchema,
  createdEnrollmentTokenSchema,
  enrollAgentSchema,
  enrollmentTokenListSchema,
  enrollmentTokenParamsSchema,
  enrollmentTokenSchema,
  errorEnvelopeSchema,
  registerAgentSchema,
  rotateAgentKeySchema,
  updateAgentSchema,
} from '@aim/contracts';
import type { FastifyRequest } from 'fastify';
import type { AgentChallenges } from '../../platform/auth/agent-challenges.js';
import type { AgentPrincipal } from '../../platform/auth/agent-auth.js';
import { AppError } from '../../platform/http/app-error.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { AgentService } from './agent-service.js';
import type { EnrollmentTokenService } from './enrollment-token-service.js';

export interface AgentFeatureDeps {
  agents: AgentService;
  enrollmentTokens: EnrollmentTokenService;
  challenges: AgentChallenges;
  /** The origin a request was sent to, which a proof of possession signs (agent-auth.ts). */
  originFor: (request: FastifyRequest) => string;
}

const LIFECYCLE = [
  ['suspend', 'Suspend an agent (reversible); it is refused at once on every instance, tokens included'],
  ['reactivate', 'Reactivate a suspended agent'],
  ['revoke', 'Revoke an agent (final); it is refused at once on every instance, tokens included'],
] as const;

/** Agent identities: registration and enrollment with proof of possession, profile, lifecycle and keys. */
export function agentFeature({ agents, enrollmentTokens, challenges, originFor }: AgentFeatureDeps): Feature {
  return {
    name: 'agents',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/agent-challenges',
        tag: 'agents',
        summary: 'A single-use challenge (5 minutes) for proof of possession of an agent key',
        access: { auth: 'public' },
        responses: { 201: challengeSchema },
        status: 201,
        handle: () => {
          const issued = challenges.issue();
          return { challenge: issued.challenge, expiresAt: issued.expiresAt.toISOString() };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents',
        tag: 'agents',
        summary: 'Register an agent with its Ed25519 public key and a proof of possession',
        access: { auth: 'org', permission: 'agent.create' },
        body: registerAgentSchema,
        responses: { 201: agentEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body, request }) => ({ agent: await agents.register(ctx, body, originFor(request)) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/enroll',
        tag: 'agents',
        summary: 'An agent registers itself with a one-time enrollment token and a proof of possession',
        access: { auth: 'public' },
        body: enrollAgentSchema,
        responses: { 201: agentEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body, request }) => ({ agent: await agents.enroll(ctx, body, originFor(request)) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents',
        tag: 'agents',
        summary: 'Agents, newest first, with filters and search (keyset pagination)',
        access: { auth: 'org', permission: 'agent.read' },
        query: agentListQuerySchema,
        responses: { 200: agentListSchema },
        handle: ({ ctx, query }) => agents.list(ctx, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/me',
        tag: 'agents',
        summary: 'The calling agent (signed request or agent token)',
        access: { auth: 'agent' },
        responses: { 200: agentEnvelopeSchema },
        handle: async ({ ctx }) => ({ agent: await agents.self(ctx) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/me/identity',
        tag: 'agents',
        summary: 'Who AIM takes the calling agent to be: answered from the authentication alone, the cheapest check that signing works',
        access: { auth: 'agent' },
        responses: { 200: agentIdentitySchema },
        handle: ({ request }) => {
          const { key, agent, proof } = request.principal as AgentPrincipal;
          return {
            agentId: key.agentId,
            organizationId: key.organizationId,
            keyId: key.keyId,
            status: agent.status,
            trustTier: agent.trustTier,
            authenticatedBy: proof === 'token' ? ('token' as const) : ('signature' as const),
          };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/me/keys',
        tag: 'agents',
        summary: 'Rotate to a new key: signed with the current key, the body proves the new one',
        access: { auth: 'agent' },
        body: rotateAgentKeySchema,
        responses: { 201: agentEnvelopeSchema },
        status: 201,
        handle: async ({ ctx, body, request }) => {
          const principal = request.principal as AgentPrincipal;
          // A bearer token can be replayed by whoever holds it; only the key itself may replace the key.
          if (principal.proof !== 'signature') {
            throw new AppError('forbidden', 'Rotate the key with a request signed by the current key (docs/agent-identity.md §6), not with an agent token.');
          }
          return { agent: await agents.rotateKey(ctx, principal.agentKeyId, body, originFor(request)) };
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/agents/:agentId',
        tag: 'agents',
        summary: 'An agent with its keys, status history and recent activity',
        access: { auth: 'org', permission: 'agent.read' },
        params: agentParamsSchema,
        responses: { 200: agentDetailSchema },
        handle: ({ ctx, params }) => agents.get(ctx, params.agentId),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/agents/:agentId',
        tag: 'agents',
        summary: "Change an agent's profile (its owner, managers and admins)",
        access: { auth: 'org', permission: 'agent.update' },
        params: agentParamsSchema,
        body: updateAgentSchema,
        responses: { 200: agentEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ agent: await agents.update(ctx, params.agentId, body) }),
      }),

      ...LIFECYCLE.map(([transition, summary]) =>
        defineOperation({
          method: 'POST',
          path: `/api/v1/agents/:agentId/${transition}`,
          tag: 'agents',
          summary,
          access: { auth: 'org', permission: 'agent.update' },
          params: agentParamsSchema,
          body: agentLifecycleSchema.nullish(),
          responses: { 200: agentEnvelopeSchema, 409: errorEnvelopeSchema },
          handle: async ({ ctx, params, body }) => ({
            agent: await agents.transition(ctx, params.agentId, transition, body?.reason ?? null),
          }),
        }),
      ),

      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/keys/:keyId/revoke',
        tag: 'agents',
        summary: 'Revoke one key of an agent (lost or compromised); it is refused at once',
        access: { auth: 'org', permission: 'agent.update' },
        params: agentKeyParamsSchema,
        body: agentLifecycleSchema.nullish(),
        responses: { 200: agentEnvelopeSchema, 409: errorEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({
          agent: await agents.revokeKey(ctx, params.agentId, params.keyId, body?.reason ?? null),
        }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/enrollment-tokens',
        tag: 'agents',
        summary: 'Create a one-time enrollment token for an agent that registers itself (shown once)',
        access: { auth: 'org', permission: 'agent.create' },
        body: createEnrollmentTokenSchema,
        responses: { 201: createdEnrollmentTokenSchema },
        status: 201,
        handle: ({ ctx, body }) => enrollmentTokens.create(ctx, body),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/enrollment-tokens',
        tag: 'agents',
        summary: 'Enrollment tokens: all for managers and admins, your own for members',
        access: { auth: 'org', permission: 'agent.create' },
        responses: { 200: enrollmentTokenListSchema },
        handle: ({ ctx }) => enrollmentTokens.list(ctx),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/enrollment-tokens/:enrollmentTokenId',
        tag: 'agents',
        summary: 'Revoke an unused enrollment token',
        access: { auth: 'org', permission: 'agent.create' },
        params: enrollmentTokenParamsSchema,
        responses: { 200: enrollmentTokenSchema },
        handle: ({ ctx, params }) => enrollmentTokens.revoke(ctx, params.enrollmentTokenId),
      }),
    ],
  };
}
