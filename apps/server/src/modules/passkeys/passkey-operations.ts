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
import type { PublicOrigin } from '../../platform/config/public-origin.js';
import { setSessionCookies } from '../../platform/auth/cookies.js';
import { sha256 } from '../../platform/crypto/tokens.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { clientNetwork } from '../../platform/http/rate-limit.js';
import { passkeyJson, relyingParty, type PasskeyService } from './passkey-service.js';

export interface PasskeyFeatureDeps {
  passkeys: PasskeyService;
  /** AIM's public origin: the relying party of every passkey, read per request. */
  publicOrigin: Pick<PublicOrigin, 'hostname' | 'origin'>;
  /** Counts a sign-in attempt under `key`; 429 once over the limit (rate-limit.ts). */
  limitSignIn: (key: string) => Promise<void>;
  /** Session cookies are Secure (PUBLIC_URL is https). */
  secureCookies: boolean;
}

/** Passkeys: a signed-in person's own (register, list, rename, remove), and signing in with one. */
export function passkeyFeature({ passkeys, publicOrigin, limitSignIn, secureCookies }: PasskeyFeatureDeps): Feature {
  const rp = () => relyingParty(publicOrigin);
  return {
    name: 'passkeys',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/me/passkeys/options',
        tag: 'me',
        summary: 'Options to create a passkey (navigator.credentials.create)',
        access: { auth: 'user' },
        responses: { 200: webauthnOptionsSchema },
        handle: async ({ ctx }) => (await passkeys.registrationOptions(ctx, rp())) as unknown as Record<string, unknown>,
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/me/passkeys',
        tag: 'me',
        summary: 'Register a passkey',
        access: { auth: 'user' },
        body: registerPasskeySchema,
        responses: { 201: passkeySchema },
        status: 201,
        handle: async ({ ctx, body }) => passkeyJson(await passkeys.register(ctx, rp(), body)),
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/me/passkeys',
        tag: 'me',
        summary: 'Your passkeys',
        access: { auth: 'user' },
        responses: { 200: passkeyListSchema },
        handle: async ({ ctx }) => ({ passkeys: (await passkeys.list(ctx)).map(passkeyJson) }),
      }),

      defineOperation({
        method: 'PATCH',
        path: '/api/v1/me/passkeys/:passkeyId',
        tag: 'me',
        summary: 'Rename a passkey',
        access: { auth: 'user' },
        params: passkeyParamsSchema,
        body: renamePasskeySchema,
        responses: { 200: passkeySchema },
        handle: async ({ ctx, params, body }) => passkeyJson(await passkeys.rename(ctx, params.passkeyId, body.name)),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/me/passkeys/:passkeyId',
        tag: 'me',
        summary: 'Remove a passkey',
        access: { auth: 'user' },
        params: passkeyParamsSchema,
        responses: { 200: okSchema },
        handle: async ({ ctx, params }) => {
          await passkeys.remove(ctx, params.passkeyId);
          return { ok: true as const };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/auth/passkey/options',
        tag: 'auth',
        summary: 'Options to sign in with a passkey (navigator.credentials.get)',
        access: { auth: 'public' },
        responses: { 200: webauthnOptionsSchema },
        handle: async ({ request }) => {
          await limitSignIn(`ip:${clientNetwork(request.ip)}`);
          return (await passkeys.signInOptions(rp())) as unknown as Record<string, unknown>;
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/auth/passkey',
        tag: 'auth',
        summary: 'Sign in with a passkey; sets the session cookies',
        access: { auth: 'public' },
        body: passkeySignInSchema,
        responses: { 200: okSchema },
        handle: async ({ ctx, body, request, reply }) => {
          await limitSignIn(`ip:${clientNetwork(request.ip)}`);
          await limitSignIn(`passkey:${sha256(body.credential.id).toString('hex')}`);
          const { session } = await passkeys.signIn(ctx, rp(), body.credential);
          setSessionCookies(reply, session, secureCookies);
          return { ok: true as const };
        },
      }),
    ],
  };
}
