import { apiKeyListSchema, apiKeyParamsSchema, apiKeySchema, createApiKeySchema, createdApiKeySchema } from '@aim/contracts';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { apiKeyJson, type ApiKeyService } from './api-key-service.js';

/** API keys: created by people (shown once), listed, revoked. */
export function apiKeyFeature({ apiKeys }: { apiKeys: ApiKeyService }): Feature {
  return {
    name: 'api-keys',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/api-keys',
        tag: 'api-keys',
        summary: 'Create an API key (role at most yours; the key is shown once)',
        access: { auth: 'org', permission: 'api_key.create', peopleOnly: true },
        body: createApiKeySchema,
        responses: { 201: createdApiKeySchema },
        status: 201,
        handle: async ({ ctx, body }) => {
          const created = await apiKeys.create(ctx, body);
          return { apiKey: apiKeyJson(created.apiKey), key: created.key };
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/api-keys',
        tag: 'api-keys',
        summary: 'API keys: every key of the organization for admins, your own for everyone else',
        access: { auth: 'org', permission: 'api_key.read' },
        responses: { 200: apiKeyListSchema },
        handle: async ({ ctx }) => ({ apiKeys: (await apiKeys.list(ctx)).map(apiKeyJson) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/api-keys/:apiKeyId',
        tag: 'api-keys',
        summary: 'Revoke an API key; it stops working at once on every instance',
        access: { auth: 'org', permission: 'api_key.revoke' },
        params: apiKeyParamsSchema,
        responses: { 200: apiKeySchema },
        handle: async ({ ctx, params }) => apiKeyJson(await apiKeys.revoke(ctx, params.apiKeyId)),
      }),
    ],
  };
}
