import {
  acceptInvitationSchema,
  acceptedInvitationSchema,
  createdInvitationSchema,
  createInvitationSchema,
  invitationListSchema,
  invitationParamsSchema,
  invitationPreviewSchema,
  invitationSchema,
  joinWithPasskeyOptionsSchema,
  joinWithPasskeySchema,
  webauthnOptionsSchema,
} from '@aim/contracts';
import type { FastifyRequest } from 'fastify';
import type { PublicOrigin } from '../../platform/config/public-origin.js';
import { setSessionCookies } from '../../platform/auth/cookies.js';
import { sha256 } from '../../platform/crypto/tokens.js';
import { defineOperation, type Feature } from '../../platform/http/operation.js';
import { clientNetwork } from '../../platform/http/rate-limit.js';
import { relyingParty } from '../passkeys/index.js';
import { invitationJson, type InvitationService } from './invitation-service.js';
import type { JoinService } from './join-service.js';

export interface InvitationFeatureDeps {
  invitations: InvitationService;
  join: JoinService;
  /** AIM's public origin: the relying party of a passkey made to join, read per request. */
  publicOrigin: Pick<PublicOrigin, 'hostname' | 'origin'>;
  /** Counts a sign-in attempt under `key`; 429 once over the limit (rate-limit.ts). */
  limitSignIn: (key: string) => Promise<void>;
  /** Session cookies are Secure (PUBLIC_URL is https). */
  secureCookies: boolean;
}

/** Invitations: an organization invites an address; the person with the link previews, joins or accepts. */
export function invitationFeature({ invitations, join, publicOrigin, limitSignIn, secureCookies }: InvitationFeatureDeps): Feature {
  /** The invitation steps a person takes with a link are sign-in steps: limited per client, and per invitation. */
  const limitLinkStep = async (request: FastifyRequest, token: string) => {
    await limitSignIn(`ip:${clientNetwork(request.ip)}`);
    await limitSignIn(`invitation:${sha256(token).toString('hex')}`);
  };
  return {
    name: 'invitations',
    operations: [
      defineOperation({
        method: 'POST',
        path: '/api/v1/invitations',
        tag: 'members',
        summary: 'Invite an email address to your organization (the link is mailed, or logged without SMTP)',
        description: 'The answer carries the invitation link once (`link`), for the inviter to pass on; AIM keeps only a hash of its token.',
        access: { auth: 'org', permission: 'member.invite' },
        body: createInvitationSchema,
        responses: { 201: createdInvitationSchema },
        status: 201,
        handle: async ({ ctx, body }) => {
          const created = await invitations.create(ctx, body);
          return { ...invitationJson(created), link: created.link };
        },
      }),

      defineOperation({
        method: 'GET',
        path: '/api/v1/invitations',
        tag: 'members',
        summary: 'Invitations of your organization',
        access: { auth: 'org', permission: 'invitation.read' },
        responses: { 200: invitationListSchema },
        handle: async ({ ctx }) => ({ invitations: (await invitations.list(ctx)).map(invitationJson) }),
      }),

      defineOperation({
        method: 'DELETE',
        path: '/api/v1/invitations/:invitationId',
        tag: 'members',
        summary: 'Revoke a pending invitation',
        access: { auth: 'org', permission: 'invitation.revoke' },
        params: invitationParamsSchema,
        responses: { 200: invitationSchema },
        handle: async ({ ctx, params }) => invitationJson(await invitations.revoke(ctx, params.invitationId)),
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/invitations/preview',
        tag: 'invitations',
        summary: 'What an invitation link offers: organization, role, inviter, address, expiry, ways to join',
        description:
          'Public: the token is the credential. An unknown token answers 404 `unknown_invitation`; a used one 409 `invitation_used`; ' +
          'a revoked or expired one 410 `invitation_revoked` / `invitation_expired`.',
        access: { auth: 'public' },
        body: acceptInvitationSchema,
        responses: { 200: invitationPreviewSchema },
        handle: async ({ body, request }) => {
          await limitLinkStep(request, body.token);
          const preview = await invitations.preview(body.token);
          return { ...preview, expiresAt: preview.expiresAt.toISOString() };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/invitations/passkey/options',
        tag: 'invitations',
        summary: 'Join with a new passkey, step 1: options for navigator.credentials.create()',
        description: 'For a person without an AIM account (409 `account_exists` otherwise: sign in, then accept). The challenge is bound to this invitation.',
        access: { auth: 'public' },
        body: joinWithPasskeyOptionsSchema,
        responses: { 200: webauthnOptionsSchema },
        handle: async ({ body, request }) => {
          await limitLinkStep(request, body.token);
          return (await join.passkeyOptions(relyingParty(publicOrigin), body)) as unknown as Record<string, unknown>;
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/invitations/passkey',
        tag: 'invitations',
        summary: 'Join with a new passkey, step 2: create the account, join the organization, sign in',
        description:
          'Verifies the new passkey, then in one transaction creates the person, the membership with the invited role and the passkey, ' +
          'marks the invitation used, and starts a session in the organization (session cookies).',
        access: { auth: 'public' },
        body: joinWithPasskeySchema,
        responses: { 201: acceptedInvitationSchema },
        status: 201,
        handle: async ({ ctx, body, request, reply }) => {
          await limitLinkStep(request, body.token);
          const joined = await join.finishWithPasskey(ctx, relyingParty(publicOrigin), body);
          setSessionCookies(reply, joined.session, secureCookies);
          return { organization: joined.organization, role: joined.role };
        },
      }),

      defineOperation({
        method: 'POST',
        path: '/api/v1/invitations/accept',
        tag: 'me',
        summary: 'Accept an invitation sent to your address',
        access: { auth: 'user' },
        body: acceptInvitationSchema,
        responses: { 200: acceptedInvitationSchema },
        handle: async ({ ctx, body }) => {
          const accepted = await invitations.accept(ctx, body.token);
          return { organization: { id: accepted.organizationId, name: accepted.name }, role: accepted.role };
        },
      }),
    ],
  };
}
