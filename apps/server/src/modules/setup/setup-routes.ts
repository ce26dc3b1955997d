import { setupResultSchema, setupSchema } from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { setCookiesFor } from '../../platform/auth/cookies.js';
import { requestContext } from '../../platform/http/request-context.js';
import { clientNetwork, limitSignIn } from '../../platform/http/rate-limit.js';
import { apiKeyJson } from '../api-keys/index.js';
import { organizationJson } from '../organizations/index.js';
import type { Services } from '../services.js';

export function registerSetupRoutes(app: AppInstance, { setup }: Services, platform: Platform): void {
  app.post(
    '/api/v1/setup',
    {
      schema: {
        tags: ['setup'],
        summary: 'Create the first organization and its admin (once; 409 afterwards)',
        description:
          'With AIM_BOOTSTRAP_TOKEN the answer carries an admin API key, shown once. With the token of the one-time setup ' +
          'link printed at first start, the admin is signed in with session cookies instead.',
        body: setupSchema,
        response: { 201: setupResultSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (request, reply) => {
      await limitSignIn(platform.store, `ip:${clientNetwork(request.ip)}`, platform.config.rateLimit.signInMax);
      const result = await setup.complete(requestContext(request), request.body);
      if (result.session) setCookiesFor(reply, result.session, platform.config);
      return reply.code(201).send({
        organization: organizationJson(result.organization),
        user: { id: result.user.id, email: result.user.email, name: result.user.name, createdAt: result.user.createdAt.toISOString() },
        apiKey: result.apiKey ? { apiKey: apiKeyJson(result.apiKey.apiKey), key: result.apiKey.key } : null,
      });
    },
  );
}
