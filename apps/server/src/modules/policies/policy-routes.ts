import {
  createPolicySchema,
  policyEnvelopeSchema,
  policyListQuerySchema,
  policyListSchema,
  policyParamsSchema,
  policyVersionListSchema,
  updatePolicySchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';

const tags = ['policies'];

export function registerPolicyRoutes(app: AppInstance, { policies }: Services): void {
  app.get(
    '/api/v1/policies',
    {
      schema: { tags, summary: "The organization's policies (their latest versions)", querystring: policyListQuerySchema, response: { 200: policyListSchema } },
      config: { access: { auth: 'org', permission: 'policy.read' } },
    },
    async (request) => policies.list(requestContext(request), request.query),
  );

  app.post(
    '/api/v1/policies',
    {
      schema: { tags, summary: 'Create a policy (version 1)', body: createPolicySchema, response: { 201: policyEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'policy.manage' } },
    },
    async (request, reply) => reply.code(201).send({ policy: await policies.create(requestContext(request), request.body) }),
  );

  app.get(
    '/api/v1/policies/:policyId',
    {
      schema: { tags, summary: 'One policy, at its latest version', params: policyParamsSchema, response: { 200: policyEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'policy.read' } },
    },
    async (request) => ({ policy: await policies.get(requestContext(request), request.params.policyId) }),
  );

  app.get(
    '/api/v1/policies/:policyId/versions',
    {
      schema: { tags, summary: 'Every version of a policy, newest first', params: policyParamsSchema, response: { 200: policyVersionListSchema } },
      config: { access: { auth: 'org', permission: 'policy.read' } },
    },
    async (request) => policies.versions(requestContext(request), request.params.policyId),
  );

  app.patch(
    '/api/v1/policies/:policyId',
    {
      schema: {
        tags,
        summary: 'Change a policy: every change makes a new version',
        params: policyParamsSchema,
        body: updatePolicySchema,
        response: { 200: policyEnvelopeSchema },
      },
      config: { access: { auth: 'org', permission: 'policy.manage' } },
    },
    async (request) => ({ policy: await policies.update(requestContext(request), request.params.policyId, request.body) }),
  );

  app.delete(
    '/api/v1/policies/:policyId',
    {
      schema: { tags, summary: 'Delete a policy (a last version records it; history is kept)', params: policyParamsSchema, response: { 200: policyEnvelopeSchema } },
      config: { access: { auth: 'org', permission: 'policy.manage' } },
    },
    async (request) => ({ policy: await policies.remove(requestContext(request), request.params.policyId) }),
  );
}
