import { apiKeyListSchema, apiKeyParamsSchema, apiKeySchema, createApiKeySchema, createdApiKeySchema } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import { requestContext } from '../../platform/http/request-context.js';
import type { Services } from '../services.js';
import { apiKeyJson } from './api-key-service.js';

export function registerApiKeyRoutes(app: AppInstance, { apiKeys }: Services): void {
  app.post(
    '/api/v1/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key (role at most yours; the key is shown once)',
        body: createApiKeySchema,
        response: { 201: createdApiKeySchema },
      },
      config: { access: { auth: 'org', permission: 'api_key.create', peopleOnly: true } },
    },
    async (request, reply) => {
      const created = await apiKeys.create(requestContext(request), request.body);
      return reply.code(201).send({ apiKey: apiKeyJson(created.apiKey), key: created.key });
    },
  );

  app.get(
    '/api/v1/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: "API keys: every key of the organization for admins, your own for everyone else",
        response: { 200: apiKeyListSchema },
      },
      config: { access: { auth: 'org', permission: 'api_key.read' } },
    },
    async (request) => ({ apiKeys: (await apiKeys.list(requestContext(request))).map(apiKeyJson) }),
  );

  app.delete(
    '/api/v1/api-keys/:apiKeyId',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key; it stops working at once on every instance',
        params: apiKeyParamsSchema,
        response: { 200: apiKeySchema },
      },
      config: { access: { auth: 'org', permission: 'api_key.revoke' } },
    },
    async (request) => apiKeyJson(await apiKeys.revoke(requestContext(request), request.params.apiKeyId)),
  );
}
