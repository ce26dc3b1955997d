import {
  okSchema,
  passkeyListSchema,
  passkeyParamsSchema,
  passkeySchema,
  passkeySignInSchema,
  registerPasskeySchema,
  renamePasskeySchema,
  webauthnOptionsSchema,
} from '@aim/contracts';
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { setCookiesFor } from '../../platform/auth/cookies.js';
import { sha256 } from '../../platform/crypto/tokens.js';
import { requestContext } from '../../platform/http/request-context.js';
import { clientNetwork, limitSignIn } from '../../platform/http/rate-limit.js';
import type { Services } from '../services.js';
import { passkeyJson, type RelyingParty } from './passkey-service.js';

/** The relying party is AIM's public origin, whatever Host a request names (public-origin.ts). */
export function relyingParty(platform: Pick<Platform, 'publicOrigin'>): RelyingParty {
  return { id: platform.publicOrigin.hostname, origin: platform.publicOrigin.origin };
}

export function registerPasskeyRoutes(app: AppInstance, { passkeys }: Services, platform: Platform): void {
  const { config, store } = platform;
  const rp = (): RelyingParty => relyingParty(platform);
  const user = { access: { auth: 'user' as const } };

  app.post(
    '/api/v1/me/passkeys/options',
    {
      schema: { tags: ['me'], summary: 'Options to create a passkey (navigator.credentials.create)', response: { 200: webauthnOptionsSchema } },
      config: user,
    },
    async (request) => (await passkeys.registrationOptions(requestContext(request), rp())) as unknown as Record<string, unknown>,
  );

  app.post(
    '/api/v1/me/passkeys',
    {
      schema: { tags: ['me'], summary: 'Register a passkey', body: registerPasskeySchema, response: { 201: passkeySchema } },
      config: user,
    },
    async (request, reply) => reply.code(201).send(passkeyJson(await passkeys.register(requestContext(request), rp(), request.body))),
  );

  app.get(
    '/api/v1/me/passkeys',
    { schema: { tags: ['me'], summary: 'Your passkeys', response: { 200: passkeyListSchema } }, config: user },
    async (request) => ({ passkeys: (await passkeys.list(requestContext(request))).map(passkeyJson) }),
  );

  app.patch(
    '/api/v1/me/passkeys/:passkeyId',
    {
      schema: { tags: ['me'], summary: 'Rename a passkey', params: passkeyParamsSchema, body: renamePasskeySchema, response: { 200: passkeySchema } },
      config: user,
    },
    async (request) => passkeyJson(await passkeys.rename(requestContext(request), request.params.passkeyId, request.body.name)),
  );

  app.delete(
    '/api/v1/me/passkeys/:passkeyId',
    {
      schema: { tags: ['me'], summary: 'Remove a passkey', params: passkeyParamsSchema, response: { 200: okSchema } },
      config: user,
    },
    async (request) => {
      await passkeys.remove(requestContext(request), request.params.passkeyId);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/auth/passkey/options',
    {
      schema: { tags: ['auth'], summary: 'Options to sign in with a passkey (navigator.credentials.get)', response: { 200: webauthnOptionsSchema } },
      config: { access: { auth: 'public' } },
    },
    async (request) => {
      await limitSignIn(store, `ip:${clientNetwork(request.ip)}`, config.rateLimit.signInMax);
      return (await passkeys.signInOptions(rp())) as unknown as Record<string, unknown>;
    },
  );

  app.post(
    '/api/v1/auth/passkey',
    {
      schema: { tags: ['auth'], summary: 'Sign in with a passkey; sets the session cookies', body: passkeySignInSchema, response: { 200: okSchema } },
      config: { access: { auth: 'public' } },
    },
    async (request, reply) => {
      await limitSignIn(store, `ip:${clientNetwork(request.ip)}`, config.rateLimit.signInMax);
      await limitSignIn(store, `passkey:${sha256(request.body.credential.id).toString('hex')}`, config.rateLimit.signInMax);
      const { session } = await passkeys.signIn(requestContext(request), rp(), request.body.credential);
      setCookiesFor(reply, session, config);
      return { ok: true as const };
    },
  );
}
