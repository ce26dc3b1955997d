import {
  agentParamsSchema,
  decisionEnvelopeSchema,
  decisionListQuerySchema,
  decisionListSchema,
  decisionParamsSchema,
  decisionResultSchema,
  decisionWaitQuerySchema,
  resolveDecisionSchema,
  verifyActionResultSchema,
  verifyActionSchema,
  violationListQuerySchema,
  violationListSchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import type { AgentPrincipal } from '../../platform/auth/agent-auth.js';
import { agentRequestContext, requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

const tags = ['decisions'];

export function registerDecisionRoutes(app: AppInstance, { decisions }: Services): void {
  app.post(
    '/api/v1/agents/:agentId/verify-action',
    {
      schema: {
        tags,
        summary: 'May this agent take this action now? allow, deny or pending (a person decides), with the reasons; every answer is stored',
        params: agentParamsSchema,
        body: verifyActionSchema,
        response: { 200: verifyActionResultSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => {
      const principal = request.principal as AgentPrincipal;
      return decisions.verifyAction(agentRequestContext(request), request.params.agentId, request.body, {
        keyId: principal.agentKeyId,
        by: principal.proof === 'token' ? 'token' : 'signature',
      });
    },
  );

  app.get(
    '/api/v1/decisions',
    {
      schema: {
        tags,
        summary: 'Decision history, newest first, with filters (keyset pagination); status=pending lists the open approvals',
        querystring: decisionListQuerySchema,
        response: { 200: decisionListSchema },
      },
      config: { access: { auth: 'org', permission: 'decision.read' } },
    },
    async (request) => decisions.list(requestContext(request), request.query),
  );

  app.get(
    '/api/v1/decisions/:decisionId',
    {
      schema: {
        tags,
        summary: 'One decision. Its agent may read it too; with ?wait=N (up to 60 s) a pending decision is answered once resolved',
        params: decisionParamsSchema,
        querystring: decisionWaitQuerySchema,
        response: { 200: decisionEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'decision.read', agents: true } },
    },
    async (request, reply) => {
      // A long poll ends when its client goes away (the response closes before it was sent).
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      return { decision: await decisions.get(requestContext(request), request.params.decisionId, request.query.wait ?? 0, gone.signal) };
    },
  );

  for (const [answer, summary] of [
    ['approve', 'Approve a pending decision: it becomes allow'],
    ['reject', 'Reject a pending decision: it becomes deny'],
  ] as const) {
    app.post(
      `/api/v1/decisions/:decisionId/${answer}`,
      {
        schema: { tags, summary, params: decisionParamsSchema, body: resolveDecisionSchema.nullish(), response: { 200: decisionEnvelopeSchema } },
        config: { access: { auth: 'org', permission: 'decision.approve' } },
      },
      async (request) => ({ decision: await decisions.resolve(requestContext(request), request.params.decisionId, answer, request.body?.note) }),
    );
  }

  app.post(
    '/api/v1/decisions/:decisionId/withdraw',
    {
      schema: {
        tags,
        summary: 'The agent withdraws its pending decision (it stopped waiting): it becomes a deny that no approval can change',
        params: decisionParamsSchema,
        response: { 200: decisionEnvelopeSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => ({ decision: await decisions.withdraw(agentRequestContext(request), request.params.decisionId) }),
  );

  app.post(
    '/api/v1/decisions/:decisionId/result',
    {
      schema: {
        tags,
        summary: 'The agent reports the outcome of an action AIM allowed (once)',
        params: decisionParamsSchema,
        body: decisionResultSchema,
        response: { 200: decisionEnvelopeSchema },
      },
      config: { access: { auth: 'agent' } },
    },
    async (request) => ({ decision: await decisions.reportResult(agentRequestContext(request), request.params.decisionId, request.body) }),
  );

  app.get(
    '/api/v1/violations',
    {
      schema: {
        tags,
        summary: 'Violations: actions denied for a missing capability or by an enforced policy, newest first',
        querystring: violationListQuerySchema,
        response: { 200: violationListSchema },
      },
      config: { access: { auth: 'org', permission: 'decision.read' } },
    },
    async (request) => decisions.violations(requestContext(request), request.query),
  );
}
