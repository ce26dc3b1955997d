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
import type { AppInstance } from '../../app.js';
import type { Platform } from '../../platform/platform.js';
import { setCookiesFor } from '../../platform/auth/cookies.js';
import { sha256 } from '../../platform/crypto/tokens.js';
import { requestContext } from '../../platform/http/request-context.js';
import { clientNetwork, limitSignIn } from '../../platform/http/rate-limit.js';
import { relyingParty } from '../passkeys/index.js';
import type { Services } from '../services.js';
import { invitationJson } from './invitation-service.js';

export function registerInvitationRoutes(app: AppInstance, { invitations, join }: Services, platform: Platform): void {
  const { config, store } = platform;
  /** The invitation steps a person takes with a link are sign-in steps: limited per client, and per invitation. */
  const perClient = (request: FastifyRequest) => limitSignIn(store, `ip:${clientNetwork(request.ip)}`, config.rateLimit.signInMax);
  const perInvitation = (token: string) => limitSignIn(store, `invitation:${sha256(token).toString('hex')}`, config.rateLimit.signInMax);

  app.post(
    '/api/v1/invitations',
    {
      schema: {
        tags: ['members'],
        summary: 'Invite an email address to your organization (the link is mailed, or logged without SMTP)',
        description: 'The answer carries the invitation link once (`link`), for the inviter to pass on; AIM keeps only a hash of its token.',
        body: createInvitationSchema,
        response: { 201: createdInvitationSchema },
      },
      config: { access: { auth: 'org', permission: 'member.invite' } },
    },
    async (request, reply) => {
      const created = await invitations.create(requestContext(request), request.body);
      return reply.code(201).send({ ...invitationJson(created), link: created.link });
    },
  );

  app.get(
    '/api/v1/invitations',
    {
      schema: { tags: ['members'], summary: 'Invitations of your organization', response: { 200: invitationListSchema } },
      config: { access: { auth: 'org', permission: 'invitation.read' } },
    },
    async (request) => ({ invitations: (await invitations.list(requestContext(request))).map(invitationJson) }),
  );

  app.delete(
    '/api/v1/invitations/:invitationId',
    {
      schema: {
        tags: ['members'],
        summary: 'Revoke a pending invitation',
        params: invitationParamsSchema,
        response: { 200: invitationSchema },
      },
      config: { access: { auth: 'org', permission: 'invitation.revoke' } },
    },
    async (request) => invitationJson(await invitations.revoke(requestContext(request), request.params.invitationId)),
  );

  app.post(
    '/api/v1/invitations/preview',
    {
      schema: {
        tags: ['invitations'],
        summary: 'What an invitation link offers: organization, role, inviter, address, expiry, ways to join',
        description:
          'Public: the token is the credential. An unknown token answers 404 `unknown_invitation`; a used one 409 `invitation_used`; ' +
          'a revoked or expired one 410 `invitation_revoked` / `invitation_expired`.',
        body: acceptInvitationSchema,
        response: { 200: invitationPreviewSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (request) => {
      await perClient(request);
      await perInvitation(request.body.token);
      const preview = await invitations.preview(request.body.token);
      return { ...preview, expiresAt: preview.expiresAt.toISOString() };
    },
  );

  app.post(
    '/api/v1/invitations/passkey/options',
    {
      schema: {
        tags: ['invitations'],
        summary: 'Join with a new passkey, step 1: options for navigator.credentials.create()',
        description: 'For a person without an AIM account (409 `account_exists` otherwise: sign in, then accept). The challenge is bound to this invitation.',
        body: joinWithPasskeyOptionsSchema,
        response: { 200: webauthnOptionsSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (request) => {
      await perClient(request);
      await perInvitation(request.body.token);
      return (await join.passkeyOptions(relyingParty(platform), request.body)) as unknown as Record<string, unknown>;
    },
  );

  app.post(
    '/api/v1/invitations/passkey',
    {
      schema: {
        tags: ['invitations'],
        summary: 'Join with a new passkey, step 2: create the account, join the organization, sign in',
        description:
          'Verifies the new passkey, then in one transaction creates the person, the membership with the invited role and the passkey, ' +
          'marks the invitation used, and starts a session in the organization (session cookies).',
        body: joinWithPasskeySchema,
        response: { 201: acceptedInvitationSchema },
      },
      config: { access: { auth: 'public' } },
    },
    async (request, reply) => {
      await perClient(request);
      await perInvitation(request.body.token);
      const joined = await join.finishWithPasskey(requestContext(request), relyingParty(platform), request.body);
      setCookiesFor(reply, joined.session, config);
      return reply.code(201).send({ organization: joined.organization, role: joined.role });
    },
  );

  app.post(
    '/api/v1/invitations/accept',
    {
      schema: {
        tags: ['me'],
        summary: 'Accept an invitation sent to your address',
        body: acceptInvitationSchema,
        response: { 200: acceptedInvitationSchema },
      },
      config: { access: { auth: 'user' } },
    },
    async (request) => {
      const accepted = await invitations.accept(requestContext(request), request.body.token);
      return { organization: { id: accepted.organizationId, name: accepted.name }, role: accepted.role };
    },
  );
}
