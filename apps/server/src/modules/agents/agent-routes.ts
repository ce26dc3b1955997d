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
import type { AppInstance, Platform } from '../../app.js';
import type { AgentPrincipal } from '../../platform/auth/agent-auth.js';
import { AppError } from '../../platform/http/app-error.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

export function registerAgentRoutes(app: AppInstance, { agents, enrollmentTokens }: Services, platform: Platform): void {
  app.post(
    '/api/v1/agent-challenges',
    {
      schema: {
        tags: ['agents'],
        summary: 'A single-use challenge (5 minutes) for proof of possession of an agent key',
        response: { 201: challengeSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (_request, reply) => {
      const issued = platform.agentChallenges.issue();
      return reply.code(201).send({ challenge: issued.challenge, expiresAt: issued.expiresAt.toISOString() });
    },
  );

  app.post(
    '/api/v1/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Register an agent with its Ed25519 public key and a proof of possession',
        body: registerAgentSchema,
        response: { 201: agentEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.create' } },
    },
    async (request, reply) =>
      reply.code(201).send({ agent: await agents.register(requestContext(request), request.body, platform.agentAuth.originFor(request)) }),
  );

  app.post(
    '/api/v1/agents/enroll',
    {
      schema: {
        tags: ['agents'],
        summary: 'An agent registers itself with a one-time enrollment token and a proof of possession',
        body: enrollAgentSchema,
        response: { 201: agentEnvelopeSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (request, reply) =>
      reply.code(201).send({ agent: await agents.enroll(requestContext(request), request.body, platform.agentAuth.originFor(request)) }),
  );

  app.get(
    '/api/v1/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Agents, newest first, with filters and search (keyset pagination)',
        querystring: agentListQuerySchema,
        response: { 200: agentListSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.read' } },
    },
    async (request) => agents.list(requestContext(request), request.query),
  );

  app.get(
    '/api/v1/agents/me',
    {
      schema: {
        tags: ['agents'],
        summary: 'The calling agent (signed request or agent token)',
        response: { 200: agentEnvelopeSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => ({ agent: await agents.self(requestContext(request)) }),
  );

  app.get(
    '/api/v1/agents/me/identity',
    {
      schema: {
        tags: ['agents'],
        summary: 'Who AIM takes the calling agent to be: answered from the authentication alone, the cheapest check that signing works',
        response: { 200: agentIdentitySchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => {
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
  );

  app.post(
    '/api/v1/agents/me/keys',
    {
      schema: {
        tags: ['agents'],
        summary: 'Rotate to a new key: signed with the current key, the body proves the new one',
        body: rotateAgentKeySchema,
        response: { 201: agentEnvelopeSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request, reply) => {
      const principal = request.principal as AgentPrincipal;
      // A bearer token can be replayed by whoever holds it; only the key itself may replace the key.
      if (principal.proof !== 'signature') {
        throw new AppError('forbidden', 'Rotate the key with a request signed by the current key (docs/agent-identity.md §6), not with an agent token.');
      }
      const agent = await agents.rotateKey(requestContext(request), principal.agentKeyId, request.body, platform.agentAuth.originFor(request));
      return reply.code(201).send({ agent });
    },
  );

  app.get(
    '/api/v1/agents/:agentId',
    {
      schema: {
        tags: ['agents'],
        summary: 'An agent with its keys, status history and recent activity',
        params: agentParamsSchema,
        response: { 200: agentDetailSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.read' } },
    },
    async (request) => agents.get(requestContext(request), request.params.agentId),
  );

  app.patch(
    '/api/v1/agents/:agentId',
    {
      schema: {
        tags: ['agents'],
        summary: "Change an agent's profile (its owner, managers and admins)",
        params: agentParamsSchema,
        body: updateAgentSchema,
        response: { 200: agentEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.update' } },
    },
    async (request) => ({ agent: await agents.update(requestContext(request), request.params.agentId, request.body) }),
  );

  const lifecycle = [
    ['suspend', 'Suspend an agent (reversible); it is refused at once on every instance, tokens included'],
    ['reactivate', 'Reactivate a suspended agent'],
    ['revoke', 'Revoke an agent (final); it is refused at once on every instance, tokens included'],
  ] as const;
  for (const [transition, summary] of lifecycle) {
    app.post(
      `/api/v1/agents/:agentId/${transition}`,
      {
        schema: {
          tags: ['agents'],
          summary,
          params: agentParamsSchema,
          body: agentLifecycleSchema.nullish(),
          response: { 200: agentEnvelopeSchema, 409: errorEnvelopeSchema },
        },
        config: { access: { auth: 'org', permission: 'agent.update' } },
      },
      async (request) => ({
        agent: await agents.transition(requestContext(request), request.params.agentId, transition, request.body?.reason ?? null),
      }),
    );
  }

  app.post(
    '/api/v1/agents/:agentId/keys/:keyId/revoke',
    {
      schema: {
        tags: ['agents'],
        summary: 'Revoke one key of an agent (lost or compromised); it is refused at once',
        params: agentKeyParamsSchema,
        body: agentLifecycleSchema.nullish(),
        response: { 200: agentEnvelopeSchema, 409: errorEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.update' } },
    },
    async (request) => ({
      agent: await agents.revokeKey(requestContext(request), request.params.agentId, request.params.keyId, request.body?.reason ?? null),
    }),
  );

  app.post(
    '/api/v1/enrollment-tokens',
    {
      schema: {
        tags: ['agents'],
        summary: 'Create a one-time enrollment token for an agent that registers itself (shown once)',
        body: createEnrollmentTokenSchema,
        response: { 201: createdEnrollmentTokenSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.create' } },
    },
    async (request, reply) => reply.code(201).send(await enrollmentTokens.create(requestContext(request), request.body)),
  );

  app.get(
    '/api/v1/enrollment-tokens',
    {
      schema: {
        tags: ['agents'],
        summary: 'Enrollment tokens: all for managers and admins, your own for members',
        response: { 200: enrollmentTokenListSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.create' } },
    },
    async (request) => enrollmentTokens.list(requestContext(request)),
  );

  app.delete(
    '/api/v1/enrollment-tokens/:enrollmentTokenId',
    {
      schema: {
        tags: ['agents'],
        summary: 'Revoke an unused enrollment token',
        params: enrollmentTokenParamsSchema,
        response: { 200: enrollmentTokenSchema },
      },
      config: { access: { auth: 'org', permission: 'agent.create' } },
    },
    async (request) => enrollmentTokens.revoke(requestContext(request), request.params.enrollmentTokenId),
  );
}
