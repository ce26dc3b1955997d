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
import type { AgentPrincipal } from '../../platform/auth/agent-auth.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import type { DecisionService } from './decision-service.js';

export interface DecisionFeatureDeps {
  decisions: DecisionService;
}

const ANSWERS = [
  ['approve', 'Approve a pending decision: it becomes allow'],
  ['reject', 'Reject a pending decision: it becomes deny'],
] as const;

/** Verify-action decisions: asked by agents, answered by people when pending, with outcomes and violations. */
export function decisionFeature({ decisions }: DecisionFeatureDeps): Feature {
  return {
    name: 'decisions',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/agents/:agentId/verify-action',
        tag: 'decisions',
        summary: 'May this agent take this action now? allow, deny or pending (a person decides), with the reasons; every answer is stored',
        access: { auth: 'agent' },
        params: agentParamsSchema,
        body: verifyActionSchema,
        responses: { 200: verifyActionResultSchema },
        handle: ({ ctx, params, body, request }) => {
          const principal = request.principal as AgentPrincipal;
          return decisions.verifyAction(ctx, params.agentId, body, {
            keyId: principal.agentKeyId,
            by: principal.proof === 'token' ? 'token' : 'signature',
          });
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/decisions',
        tag: 'decisions',
        summary: 'Decision history, newest first, with filters (keyset pagination); status=pending lists the open approvals',
        access: { auth: 'org', permission: 'decision.read' },
        query: decisionListQuerySchema,
        responses: { 200: decisionListSchema },
        handle: ({ ctx, query }) => decisions.list(ctx, query),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/decisions/:decisionId',
        tag: 'decisions',
        summary: 'One decision. Its agent may read it too; with ?wait=N (up to 60 s) a pending decision is answered once resolved',
        access: { auth: 'org', permission: 'decision.read', agents: true },
        params: decisionParamsSchema,
        query: decisionWaitQuerySchema,
        responses: { 200: decisionEnvelopeSchema },
        handle: async ({ ctx, params, query, reply }) => {
          // A long poll ends when its client goes away (the response closes before it was sent).
          const gone = new AbortController();
          reply.raw.once('close', () => gone.abort());
          return { decision: await decisions.get(ctx, params.decisionId, query.wait ?? 0, gone.signal) };
        },
      }),

      ...ANSWERS.map(([answer, summary]) =>
        defineOperation({
          method: 'POST',
          path: `/api/v1/decisions/:decisionId/${answer}`,
          tag: 'decisions',
          summary,
          access: { auth: 'org', permission: 'decision.approve' },
          params: decisionParamsSchema,
          body: resolveDecisionSchema.nullish(),
          responses: { 200: decisionEnvelopeSchema },
          handle: async ({ ctx, params, body }) => ({ decision: await decisions.resolve(ctx, params.decisionId, answer, body?.note) }),
        }),
      ),

      defineOperation({
        method: 'POST',
        path: '/api/v1/decisions/:decisionId/withdraw',
        tag: 'decisions',
        summary: 'The agent withdraws its pending decision (it stopped waiting): it becomes a deny that no approval can change',
        access: { auth: 'agent' },
        params: decisionParamsSchema,
        responses: { 200: decisionEnvelopeSchema },
        handle: async ({ ctx, params }) => ({ decision: await decisions.withdraw(ctx, params.decisionId) }),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/decisions/:decisionId/result',
        tag: 'decisions',
        summary: 'The agent reports the outcome of an action AIM allowed (once)',
        access: { auth: 'agent' },
        params: decisionParamsSchema,
        body: decisionResultSchema,
        responses: { 200: decisionEnvelopeSchema },
        handle: async ({ ctx, params, body }) => ({ decision: await decisions.reportResult(ctx, params.decisionId, body) }),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/violations',
        tag: 'decisions',
        summary: 'Violations: actions denied for a missing capability or by an enforced policy, newest first',
        access: { auth: 'org', permission: 'decision.read' },
        query: violationListQuerySchema,
        responses: { 200: violationListSchema },
        handle: ({ ctx, query }) => decisions.violations(ctx, query),
      }),
    ],
  };
}
