import { roleAtLeast, type Role, type createInvitationSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { normalizeEmail, type Keyring } from '../../platform/crypto/keyring.js';
import { randomToken, sha256 } from '../../platform/crypto/tokens.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import type { OrgContext, UserContext } from '../../platform/http/operation.js';
import { membershipRepository as memberships } from '../members/index.js';
import { emailHash, type UserRepository } from '../users/index.js';
import { invitationMail } from '../notifications/index.js';

/**
 * Invitations: an admin invites an email address with a role; the link mailed (or logged) carries
 * a single-use token. The invitation belongs to the address: whoever accepts must have signed in
 * with that verified address. A new person signing in with an invited address joins at once.
 */
export interface Invitation {
  id: string;
  organizationId: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  organization_id: string;
  email_encrypted: string;
  role: Role;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

const emailAad = (id: string) => `invitations.email:${id}`;

/** An invitation as its link's token finds it (through the SECURITY DEFINER lookup), whatever its state. */
export interface TokenInvitation {
  id: string;
  organizationId: string;
  emailHash: Buffer;
  role: Role;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

/** What the invitee sees before joining (POST /api/v1/invitations/preview). */
export interface InvitationPreview {
  organization: { id: string; name: string };
  role: Role;
  email: string;
  invitedBy: { name: string } | null;
  expiresAt: Date;
  accountExists: boolean;
  providers: { id: string; displayName: string; startUrl: string }[];
}

/**
 * Unless the invitation can still be accepted, the reason as a stable error: unknown (404), used
 * (409), revoked or expired (410). Each message says what to do next.
 */
export function assertUsable(inv: Pick<TokenInvitation, 'acceptedAt' | 'revokedAt' | 'expiresAt'> | null | undefined): asserts inv {
  if (!inv) throw new AppError('unknown_invitation', 'This invitation link is not known: check that it was copied whole, or ask an admin for a new invitation.');
  if (inv.acceptedAt) throw new AppError('invitation_used', 'This invitation was already accepted; it works once. Sign in instead, or ask an admin for a new invitation.');
  if (inv.revokedAt) throw new AppError('invitation_revoked', 'An admin revoked this invitation; ask an admin for a new one if you should still join.');
  if (inv.expiresAt.getTime() <= Date.now()) throw new AppError('invitation_expired', 'This invitation has expired; ask an admin for a new one.');
}

/** The start URL of joining through an identity provider: back on the overview, signed in to the organization. */
export const joinThroughProviderUrl = (providerId: string, token: string) =>
  `/api/v1/auth/oidc/${providerId}/start?invitation=${encodeURIComponent(token)}&returnTo=${encodeURIComponent('/')}`;

export const invitationJson = (i: Invitation) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  invitedBy: i.invitedBy,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
  acceptedAt: i.acceptedAt?.toISOString() ?? null,
  revokedAt: i.revokedAt?.toISOString() ?? null,
});

export function createInvitationService(deps: {
  db: Database;
  keyring: Keyring;
  cache: AccessCache;
  mailer: Mailer;
  users: UserRepository;
  ttlHours: number;
  publicBaseUrl: () => string;
  /** The deployment's identity providers (an invitee may join through any of them). */
  deploymentProviders: () => { id: string; displayName: string }[];
}) {
  const { db, keyring, cache, mailer, users } = deps;
  const toInvitation = (r: Row): Invitation => ({
    id: r.id,
    organizationId: r.organization_id,
    email: keyring.decrypt(r.email_encrypted, emailAad(r.id)),
    role: r.role,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    acceptedAt: r.accepted_at,
    revokedAt: r.revoked_at,
  });

  /**
   * Accept inside an organization-scoped transaction. The invitation row is claimed first, with a
   * condition that it is still pending: of two concurrent acceptances (or an acceptance racing a
   * revocation) exactly one wins, and the other is told the invitation is no longer valid.
   */
  async function acceptIn(tx: Tx, ctx: RequestContext, invitationId: string, userId: string, role: Role): Promise<void> {
    const claimed = await tx.query(
      `update invitations set accepted_at = now(), accepted_by = $3
        where organization_id = $1 and id = $2 and accepted_at is null and revoked_at is null and expires_at > now()`,
      [orgOf(tx), invitationId, userId],
    );
    if (claimed.rowCount !== 1) await refuseAsItStands(tx, invitationId);
    const existing = await memberships.role(tx, userId);
    if (!existing) await memberships.add(tx, userId, role);
    await recordAuditEvent(tx, { ...ctx, actor: { type: 'user', id: userId } }, {
      action: 'invitation.accept',
      target: { type: 'invitation', id: invitationId },
      details: { role: existing ?? role, alreadyMember: existing !== null },
    });
  }

  /**
   * The invitation could not be claimed (another request took it, or it was revoked meanwhile):
   * read it again — this statement sees what the other transaction committed — and say why.
   */
  async function refuseAsItStands(tx: Tx, invitationId: string): Promise<never> {
    const { rows } = await tx.query<Row>('select * from invitations where organization_id = $1 and id = $2', [orgOf(tx), invitationId]);
    const row = rows[0];
    assertUsable(row ? { acceptedAt: row.accepted_at, revokedAt: row.revoked_at, expiresAt: row.expires_at } : null);
    throw new AppError('invitation_used', 'This invitation was accepted a moment ago by another request; sign in instead.');
  }

  /** The invitation a link's token names (null when none does); the token is looked up by its SHA-256. */
  async function findByToken(token: string): Promise<TokenInvitation | null> {
    const { rows } = await db.transaction({ organizationId: null }, (tx) =>
      tx.query<{
        id: string;
        organization_id: string;
        email_hash: Buffer;
        role: Role;
        expires_at: Date;
        accepted_at: Date | null;
        revoked_at: Date | null;
      }>('select * from aim_invitation_by_token($1)', [sha256(token)]),
    );
    const r = rows[0];
    return r
      ? { id: r.id, organizationId: r.organization_id, emailHash: r.email_hash, role: r.role, expiresAt: r.expires_at, acceptedAt: r.accepted_at, revokedAt: r.revoked_at }
      : null;
  }

  /** The pending invitation's row, locked until the caller's transaction ends (scoped to its organization). */
  async function lockPending(tx: Tx, invitationId: string): Promise<Invitation> {
    const { rows } = await tx.query<Row>(
      `select * from invitations
        where organization_id = $1 and id = $2 and accepted_at is null and revoked_at is null and expires_at > now()
        for update`,
      [orgOf(tx), invitationId],
    );
    if (!rows[0]) return refuseAsItStands(tx, invitationId);
    return toInvitation(rows[0]);
  }

  /** Pending, unexpired invitations of an address (inside the caller's system-scope transaction). */
  async function pendingFor(tx: Tx, email: string): Promise<{ id: string; organization_id: string; role: Role }[]> {
    const { rows } = await tx.query<{ id: string; organization_id: string; role: Role }>('select * from aim_pending_invitations_for($1)', [
      emailHash(keyring, email),
    ]);
    return rows;
  }

  return {
    findByToken,
    lockPending,
    acceptIn,

    /**
     * What an invitee needs to decide, read with the link's token: the organization, the role, who
     * invited, the address, the expiry, whether an account already has the address, and the
     * identity providers they may join through. An unusable link answers why.
     */
    async preview(token: string): Promise<InvitationPreview> {
      const inv = await findByToken(token);
      assertUsable(inv);
      return db.transaction({ organizationId: inv.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>('select * from invitations where organization_id = $1 and id = $2', [orgOf(tx), inv.id]);
        const invitation = toInvitation(rows[0]!);
        const organization = await tx.query<{ name: string }>('select name from organizations where id = $1', [orgOf(tx)]);
        // The inviter is visible in this scope while they are a member; after they left, nobody is named.
        const inviter = invitation.invitedBy ? await users.get(tx, invitation.invitedBy) : null;
        const domain = invitation.email.split('@')[1] ?? '';
        // The organization's own providers vouch only for addresses at domains it verified (see oidc-service).
        const own = await tx.query<{ id: string; display_name: string }>(
          `select p.id, p.display_name from oidc_providers p
            where p.organization_id = $1 and p.enabled
              and exists (select 1 from organization_domains d where d.organization_id = $1 and d.domain = $2 and d.verified_at is not null)
            order by p.created_at, p.id`,
          [orgOf(tx), domain],
        );
        const account = await tx.withScope(null, (system) => users.findByEmail(system, invitation.email));
        const accountExists = account !== null;
        // An account made with a passkey through an invitation link is never reached through a provider
        // by its address (oidc-service): offering one would only end in a refusal.
        const providers =
          account && !account.emailVerified ? [] : [...deps.deploymentProviders(), ...own.rows.map((p) => ({ id: p.id, displayName: p.display_name }))];
        return {
          organization: { id: inv.organizationId, name: organization.rows[0]!.name },
          role: invitation.role,
          email: invitation.email,
          invitedBy: inviter ? { name: inviter.name } : null,
          expiresAt: invitation.expiresAt,
          accountExists,
          providers: providers.map((p) => ({ ...p, startUrl: joinThroughProviderUrl(p.id, token) })),
        };
      });
    },

    /** Create an invitation and mail (or log) its link; the link is returned once, for the inviter to pass on. */
    async create(ctx: OrgContext, input: z.output<typeof createInvitationSchema>): Promise<Invitation & { link: string }> {
      if (!roleAtLeast(ctx.role, input.role)) throw new AppError('forbidden', 'You cannot invite someone with a stronger role than yours.');
      const token = `inv_${randomToken(32)}`;
      const id = newId('inv');
      const email = normalizeEmail(input.email);
      const invitation = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const existing = await users.findIdByEmail(tx, email);
        if (existing && (await memberships.role(tx, existing))) throw new AppError('conflict', `${email} is already a member.`);
        const { rows } = await tx.query<Row>(
          `insert into invitations (id, organization_id, email_hash, email_encrypted, role, token_hash, invited_by, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8)) returning *`,
          [id, orgOf(tx), emailHash(keyring, email), keyring.encrypt(email, emailAad(id)), input.role, sha256(token), ctx.personId, deps.ttlHours],
        );
        await recordAuditEvent(tx, ctx, { action: 'invitation.create', target: { type: 'invitation', id }, details: { role: input.role } });
        return toInvitation(rows[0]!);
      });
      const link = `${deps.publicBaseUrl()}/invite/?token=${encodeURIComponent(token)}`;
      await mailer.send({ to: email, ...invitationMail({ email, role: input.role, link, expiresAt: invitation.expiresAt }) });
      return { ...invitation, link };
    },

    async list(ctx: OrgContext): Promise<Invitation[]> {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>('select * from invitations where organization_id = $1 order by created_at desc, id desc', [orgOf(tx)]);
        return rows.map(toInvitation);
      });
    },

    async revoke(ctx: OrgContext, invitationId: string): Promise<Invitation> {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `update invitations set revoked_at = coalesce(revoked_at, now())
            where organization_id = $1 and id = $2 and accepted_at is null returning *`,
          [orgOf(tx), invitationId],
        );
        if (!rows[0]) throw notFound('The pending invitation');
        await recordAuditEvent(tx, ctx, { action: 'invitation.revoke', target: { type: 'invitation', id: invitationId } });
        return toInvitation(rows[0]);
      });
    },

    /** A signed-in person accepts with the token from the link; the address must be theirs. */
    async accept(ctx: UserContext, token: string): Promise<{ organizationId: string; name: string; role: Role }> {
      const userId = ctx.userId;
      const inv = await findByToken(token);
      assertUsable(inv);
      const user = await db.transaction({ organizationId: null }, (tx) => users.get(tx, userId));
      if (!user || !emailHash(keyring, user.email).equals(inv.emailHash)) {
        throw new AppError('invitation_email_mismatch', 'This invitation is for another email address; sign in with the invited address.');
      }
      const result = await db.transaction({ organizationId: inv.organizationId }, async (tx) => {
        await acceptIn(tx, ctx, inv.id, userId, inv.role);
        const { rows } = await tx.query<{ name: string }>('select name from organizations where id = $1', [orgOf(tx)]);
        return { organizationId: inv.organizationId, name: rows[0]!.name, role: (await memberships.role(tx, userId))! };
      });
      await cache.forgetMembership(inv.organizationId, userId);
      return result;
    },

    pendingFor,

    /**
     * At sign-in with a verified address: join every organization that invited it, inside the
     * caller's system-scope transaction (so a failure leaves nothing half-done). The caller forgets
     * the cached memberships after commit.
     */
    async acceptPendingIn(tx: Tx, ctx: RequestContext, userId: string, email: string, onlyOrganization: string | null = null): Promise<string[]> {
      const pending = (await pendingFor(tx, email)).filter((i) => !onlyOrganization || i.organization_id === onlyOrganization);
      for (const inv of pending) {
        await tx.withScope(inv.organization_id, (scoped) => acceptIn(scoped, ctx, inv.id, userId, inv.role));
      }
      return pending.map((r) => r.organization_id);
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
