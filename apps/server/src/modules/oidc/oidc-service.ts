import * as oidc from 'openid-client';
import type { oidcStartQuerySchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { normalizeEmail } from '../../platform/crypto/keyring.js';
import { safeEqual, sha256 } from '../../platform/crypto/tokens.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import { isRefusedByGuard } from '../../platform/net/outbound-guard.js';
import type { SharedStore } from '../../platform/store/shared-store.js';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { assertUsable, type InvitationService } from '../invitations/index.js';
import { membershipRepository as memberships } from '../members/index.js';
import type { IssuedSession, SessionService } from '../sessions/index.js';
import type { UserRepository } from '../users/index.js';
import { UnknownProviderError, type IdentityProvider, type IdentityProviders } from './identity-providers.js';

/**
 * Sign-in with OpenID Connect: authorization code with PKCE (S256), `state` and `nonce`.
 *
 * start: remember {provider, PKCE verifier, nonce, where to return} under a random state for ten
 *        minutes, and send the browser to the provider.
 * callback: take the state once, exchange the code, verify the ID token (issuer, audience, nonce,
 *        signature), and require a verified email. The person is found by their identity at that
 *        provider, else by their verified email; a new person is created only if an organization
 *        invited the address or claimed its verified domain — all in one transaction, so nothing
 *        is half-provisioned when a step fails.
 */
const STATE_TTL_MS = 10 * 60_000;

interface PendingSignIn {
  /** Also kept in an HttpOnly cookie of the browser that started: the callback must come back to it. */
  binding: string;
  providerId: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  returnTo: string;
  /** Joining through an invitation link: the invitation to accept (its address must be the one the provider vouches for). */
  invitation?: { id: string; organizationId: string };
}

export interface SignedIn {
  session: IssuedSession;
  returnTo: string;
  userId: string;
  organizationId: string | null;
  created: boolean;
}

/**
 * Only paths on this origin; anything else returns home (no open redirects). The value is resolved
 * as a browser would (which ignores tabs and newlines and treats backslashes as slashes) and must
 * stay on the same origin.
 */
export function safeReturnTo(value: string | undefined): string {
  if (!value || value.length > 500 || !value.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  const base = 'http://aim.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return '/';
  }
  if (url.origin !== base) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/** ID-token problems (a token that does not verify) as opposed to a provider that misbehaves. */
const TOKEN_CODES = new Set(['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_KEY_SELECTION_FAILED', 'OAUTH_INVALID_RESPONSE']);

export function toIdpError(error: unknown): never {
  if (error instanceof AppError) throw error;
  const refused = isRefusedByGuard(error);
  if (refused) throw new AppError('idp_unavailable', `The identity provider's address is not allowed: ${refused.message}`);
  if (error instanceof oidc.AuthorizationResponseError) {
    throw new AppError('sign_in_denied', `The identity provider answered: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}.`);
  }
  if (error instanceof oidc.ResponseBodyError) {
    if (error.error === 'invalid_grant') throw new AppError('invalid_authorization_code', 'The identity provider refused the authorization code; start again.');
    if (error.status >= 500) throw new AppError('idp_unavailable', 'The identity provider failed to answer; try again later.');
    throw new AppError('invalid_authorization_code', `The identity provider refused the exchange (${error.error}).`);
  }
  if (error instanceof oidc.ClientError && error.code && TOKEN_CODES.has(error.code)) {
    // openid-client wraps oauth4webapi's error, whose cause names the claim that failed.
    const claim = (error.cause as { cause?: { claim?: string } } | undefined)?.cause?.claim;
    if (claim === 'nonce') throw new AppError('invalid_nonce', 'The ID token does not carry the nonce of this sign-in; start again.');
    throw new AppError('invalid_id_token', 'The ID token from the identity provider does not verify.');
  }
  throw new AppError('idp_unavailable', 'The identity provider could not be reached or answered wrongly; try again later.', { cause: error });
}

export function createOidcService(deps: {
  db: Database;
  store: SharedStore;
  cache: AccessCache;
  providers: IdentityProviders;
  users: UserRepository;
  sessions: SessionService;
  invitations: InvitationService;
  /** Per-account sign-in limit, applied once the provider said who it is and before anything is written. */
  limitAccount: (key: string) => Promise<void>;
}) {
  const { db, store, providers, users, sessions, invitations } = deps;

  async function provider(id: string): Promise<IdentityProvider> {
    try {
      return await providers.find(id);
    } catch (error) {
      if (error instanceof UnknownProviderError) throw new AppError('not_found', `There is no identity provider "${id}".`);
      throw error;
    }
  }

  /**
   * Find or (when allowed) create the person, link the identity, and start a session, atomically.
   *
   * How far an email address is trusted depends on who runs the provider:
   *  - the deployment's providers (configured by the operator) are trusted for any address: an
   *    existing person with that verified address is found, and invitations and verified domains of
   *    every organization apply;
   *  - an organization's provider is run by that organization's admin, so it is trusted only for
   *    addresses in domains that organization verified, only for joining that organization, and never
   *    to take over an existing account found by email (that would let one organization sign in as
   *    anyone). People already linked to it by (issuer, subject) sign in as before.
   */
  async function signIn(
    ctx: RequestContext,
    idp: IdentityProvider,
    claims: { issuer: string; subject: string; email: string; name: string },
    invitation?: { id: string; organizationId: string },
  ): Promise<Omit<SignedIn, 'returnTo'>> {
    const email = normalizeEmail(claims.email);
    const domain = email.split('@')[1] ?? '';
    const scopedTo = idp.organizationId;
    const result = await db.transaction({ organizationId: null }, async (tx) => {
      if (scopedTo && !(await verifiedDomainOf(tx, domain, scopedTo))) {
        throw new AppError('no_access', `This organization's identity provider can only sign in addresses at domains it verified, not ${domain}.`);
      }
      let userId = (
        await tx.query<{ user_id: string }>('select user_id from user_identities where issuer = $1 and subject = $2', [claims.issuer, claims.subject])
      ).rows[0]?.user_id;
      let created = false;
      let linked = false;
      if (!userId) {
        const existing = await users.findByEmail(tx, email);
        if (existing && scopedTo) {
          throw new AppError('no_access', `${email} already has an AIM account; sign in the way you usually do.`);
        }
        // An account made with a passkey through an invitation link: whoever holds the link made it (the
        // inviter sees it too), so the address alone does not make it this person's (account pre-hijacking).
        if (existing && !existing.emailVerified) {
          throw new AppError(
            'no_access',
            `${email} already has an AIM account that signs in with a passkey; sign in with it. If you did not create it, ask an admin of your organization.`,
          );
        }
        if (existing) {
          userId = existing.id;
          linked = true;
        }
      }
      if (!userId) {
        userId = newId('usr');
        const joined = await joinOnFirstSignIn(tx, ctx, userId, email, claims.name, scopedTo);
        if (joined.length === 0) {
          if (invitation) await refuseInvitation(tx, invitation, email);
          throw new AppError('no_access', `No organization has invited ${email} or claimed its domain; ask an admin for an invitation.`);
        }
        created = true;
      } else {
        // A known person: also join organizations that invited them since.
        await invitations.acceptPendingIn(tx, { ...ctx, actor: { type: 'user', id: userId } }, userId, email, scopedTo);
      }
      await tx.query(
        `insert into user_identities (issuer, subject, user_id, provider_id) values ($1, $2, $3, $4)
         on conflict (issuer, subject) do update set last_used_at = now()`,
        [claims.issuer, claims.subject, userId, idp.id],
      );
      const orgs = (await tx.query<{ organization_id: string }>('select organization_id from aim_user_organizations($1)', [userId])).rows.map(
        (r) => r.organization_id,
      );
      // Joining through an invitation link: its organization, or nothing at all (the whole sign-in rolls back).
      if (invitation && !orgs.includes(invitation.organizationId)) await refuseInvitation(tx, invitation, email);
      const organizationId = invitation
        ? invitation.organizationId
        : scopedTo && orgs.includes(scopedTo)
          ? scopedTo
          : (orgs[0] ?? null);
      const personCtx: RequestContext = { ...ctx, actor: { type: 'user', id: userId }, userId, personId: userId };
      if (linked && organizationId) {
        await recordAuditEvent(tx, personCtx, {
          organizationId,
          action: 'identity.link',
          target: { type: 'user', id: userId },
          details: { issuer: claims.issuer, provider: idp.id },
        });
      }
      const session = await sessions.start(tx, personCtx, { userId, organizationId, method: 'oidc' });
      return { session, userId, organizationId, created, orgs };
    });
    await Promise.all(result.orgs.map((org) => deps.cache.forgetMembership(org, result.userId)));
    return result;
  }

  /** The invitation was not accepted by this sign-in: say why (no longer pending, or for another address). */
  async function refuseInvitation(tx: Tx, invitation: { id: string; organizationId: string }, email: string): Promise<never> {
    await tx.withScope(invitation.organizationId, (scoped) => invitations.lockPending(scoped, invitation.id));
    throw new AppError(
      'invitation_email_mismatch',
      `The identity provider signed you in as ${email}, but the invitation is for another address; sign in there with the invited address.`,
    );
  }

  async function verifiedDomainOf(tx: Tx, domain: string, organizationId: string): Promise<boolean> {
    const { rows } = await tx.query<{ organization_id: string }>('select organization_id from aim_organization_claiming_domain($1)', [domain]);
    return rows.some((r) => r.organization_id === organizationId);
  }

  /**
   * A new person joins the organizations that invited their address or verified its domain — only
   * `onlyOrganization` when signing in through that organization's provider.
   */
  async function joinOnFirstSignIn(
    tx: Tx,
    ctx: RequestContext,
    userId: string,
    email: string,
    name: string,
    onlyOrganization: string | null,
  ): Promise<string[]> {
    const personCtx: RequestContext = { ...ctx, actor: { type: 'user', id: userId }, userId, personId: userId };
    const pending = (await invitations.pendingFor(tx, email)).filter((i) => !onlyOrganization || i.organization_id === onlyOrganization);
    const domain = email.split('@')[1] ?? '';
    const claimed = (
      await tx.query<{ organization_id: string; default_role: 'manager' | 'member' | 'viewer' }>('select * from aim_organization_claiming_domain($1)', [
        domain,
      ])
    ).rows.filter((c) => !onlyOrganization || c.organization_id === onlyOrganization);
    if (pending.length === 0 && claimed.length === 0) return [];
    await users.insert(tx, { id: userId, email, name: name || email });
    const joined = await invitations.acceptPendingIn(tx, personCtx, userId, email, onlyOrganization);
    for (const claim of claimed.filter((c) => !joined.includes(c.organization_id))) {
      await tx.withScope(claim.organization_id, async (scoped) => {
        await memberships.add(scoped, userId, claim.default_role);
        await recordAuditEvent(scoped, personCtx, {
          action: 'member.join_by_domain',
          target: { type: 'user', id: userId },
          details: { domain, role: claim.default_role },
        });
      });
      joined.push(claim.organization_id);
    }
    return joined;
  }

  return {
    async start(
      providerId: string,
      input: z.output<typeof oidcStartQuerySchema> & { redirectUri: string },
    ): Promise<{ url: URL; binding: string }> {
      const idp = await provider(providerId);
      let invitation: PendingSignIn['invitation'];
      if (input.invitation !== undefined) {
        const found = await invitations.findByToken(input.invitation);
        assertUsable(found);
        invitation = { id: found.id, organizationId: found.organizationId };
      }
      const config = await providers.configuration(idp).catch(toIdpError);
      const state = oidc.randomState();
      const pending: PendingSignIn = {
        binding: oidc.randomState(),
        providerId: idp.id,
        codeVerifier: oidc.randomPKCECodeVerifier(),
        nonce: oidc.randomNonce(),
        redirectUri: input.redirectUri,
        returnTo: safeReturnTo(input.returnTo),
        ...(invitation ? { invitation } : {}),
      };
      await store.set(`oidc:state:${sha256(state).toString('hex')}`, JSON.stringify(pending), STATE_TTL_MS);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: pending.redirectUri,
        scope: 'openid email profile',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce: pending.nonce,
      });
      return { url, binding: pending.binding };
    },

    /**
     * `binding` is the value of the browser's sign-in cookie: a callback URL sent to someone else's
     * browser (to sign them into the sender's account) does not carry it and is refused.
     */
    async callback(ctx: RequestContext, query: Record<string, string | undefined>, binding: string | undefined): Promise<SignedIn> {
      const state = query.state;
      if (!state) throw new AppError('invalid_state', 'The sign-in response has no state; start signing in again.');
      const key = `oidc:state:${sha256(state).toString('hex')}`;
      const raw = await store.get(key);
      // Single use, even when two callbacks race.
      if (!raw || !(await store.claimOnce(`${key}:used`, STATE_TTL_MS))) {
        throw new AppError('invalid_state', 'The sign-in state is unknown, already used or expired; start signing in again.');
      }
      await store.delete(key);
      const pending = JSON.parse(raw) as PendingSignIn;
      if (!binding || !safeEqual(binding, pending.binding)) {
        throw new AppError('invalid_state', 'This sign-in was started in another browser; start signing in again here.');
      }
      const idp = await provider(pending.providerId);
      const config = await providers.configuration(idp).catch(toIdpError);
      const callbackUrl = new URL(pending.redirectUri);
      for (const [name, value] of Object.entries(query)) if (value !== undefined) callbackUrl.searchParams.set(name, value);
      const tokens = await oidc
        .authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        })
        .catch(toIdpError);
      const claims = tokens.claims();
      if (!claims) throw new AppError('invalid_id_token', 'The identity provider sent no ID token.');
      // Providers that keep profile claims out of the ID token give them at the userinfo endpoint,
      // bound to the same subject (openid-client checks it).
      const profile: Record<string, unknown> =
        typeof claims.email === 'string' ? claims : await oidc.fetchUserInfo(config, tokens.access_token, claims.sub).catch(toIdpError);
      const email = typeof profile.email === 'string' ? profile.email : undefined;
      if (!email || profile.email_verified !== true) {
        throw new AppError('email_not_verified', 'The identity provider does not vouch for your email address (email_verified).');
      }
      const name = typeof profile.name === 'string' ? profile.name : '';
      await deps.limitAccount(sha256(`oidc:${claims.iss}:${claims.sub}`).toString('hex'));
      const signedIn = await signIn(ctx, idp, { issuer: claims.iss, subject: claims.sub, email, name }, pending.invitation);
      return { ...signedIn, returnTo: pending.returnTo };
    },
  };
}

export type OidcService = ReturnType<typeof createOidcService>;
