import { setupResultSchema, setupSchema } from '@aim/contracts';
import { setSessionCookies } from '../../platform/auth/cookies.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { clientNetwork } from '../../platform/http/rate-limit.js';
import { apiKeyJson } from '../api-keys/index.js';
import { organizationJson } from '../organizations/index.js';
import { registerSetupPage } from './setup-page.js';
import type { SetupService } from './setup-service.js';

export interface SetupFeatureDeps {
  setup: SetupService;
  /** Counts a sign-in attempt under `key`; 429 once over the limit (rate-limit.ts). */
  limitSignIn: (key: string) => Promise<void>;
  /** Session cookies are Secure (PUBLIC_URL is https). */
  secureCookies: boolean;
}

/** First run: the first organization and its admin, and the one-time setup page (hidden from the reference). */
export function setupFeature({ setup, limitSignIn, secureCookies }: SetupFeatureDeps): Feature {
  return {
    name: 'setup',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/setup',
        tag: 'setup',
        summary: 'Create the first organization and its admin (once; 409 afterwards)',
        description:
          'With AIM_BOOTSTRAP_TOKEN the answer carries an admin API key, shown once. With the token of the one-time setup ' +
          'link printed at first start, the admin is signed in with session cookies instead.',
        access: { auth: 'public' },
        body: setupSchema,
        responses: { 201: setupResultSchema },
        status: 201,
        handle: async ({ ctx, body, request, reply }) => {
          await limitSignIn(`ip:${clientNetwork(request.ip)}`);
          const result = await setup.complete(ctx, body);
          if (result.session) setSessionCookies(reply, result.session, secureCookies);
          return {
            organization: organizationJson(result.organization),
            user: { id: result.user.id, email: result.user.email, name: result.user.name, createdAt: result.user.createdAt.toISOString() },
            apiKey: result.apiKey ? { apiKey: apiKeyJson(result.apiKey.apiKey), key: result.apiKey.key } : null,
          };
        },
      }),
    ],
    registerRoutes: registerSetupPage,
  };
}
