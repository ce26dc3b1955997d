import type { personDataExportSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { openEvents, readableEventJson, type ReadableEvent } from '../../platform/audit/audit-personal.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { normalizeEmail } from '../../platform/crypto/keyring.js';
import type { PersonalData } from '../../platform/crypto/personal-data.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { onLegalHold } from '../../platform/db/legal-hold.js';
import { AppError } from '../../platform/http/app-error.js';
import type { OrgContext, UserContext } from '../../platform/http/operation.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { revokeApiKeysOf } from '../api-keys/index.js';
import { deleteInvitationsOf, revokeInvitationsSentBy } from '../invitations/index.js';
import { membershipRepository as memberships } from '../members/index.js';
import { deleteNotificationsOf } from '../notifications/index.js';
import { deleteIdentitiesOf } from '../oidc/index.js';
import { deletePasskeysOf } from '../passkeys/index.js';
import { deleteSessionsOf, openSessions } from '../sessions/index.js';
import { eraseUserRow, type User, type UserRepository } from '../users/index.js';
import { privacyRepository as repo, privacyRequestJson } from './privacy-repository.js';

/**
 * A person's data (docs/privacy.md): the export of everything AIM holds about them (GDPR Art. 15/20),
 * and erasure (Art. 17): their data key destroyed, so everything sealed under it is unreadable
 * everywhere, and what cannot be sealed deleted, in one transaction with its `person.erased` event.
 */
export type PersonDataExport = z.output<typeof personDataExportSchema>;

const requester = (ctx: RequestContext) => ctx.actor.id ?? ctx.actor.type;

const eventJson = (e: ReadableEvent) => ({ organizationId: e.organizationId, ...readableEventJson(e) });

export function createPrivacyService(deps: { db: Database; users: UserRepository; personalData: PersonalData; cache: AccessCache }) {
  const { db, users, personalData, cache } = deps;

  /** The organization's member, or the code that says why not: erased here before, or not one of its people. */
  async function memberOf(tx: Tx, userId: string): Promise<User> {
    const user = (await memberships.role(tx, userId)) ? await users.get(tx, userId) : null;
    if (user) return user;
    if (await repo.wasErasedHere(tx, userId)) throw new AppError('person_already_erased', 'This person was already erased.');
    throw new AppError('person_not_found', 'No member of this organization has this id.');
  }

  /** One organization's part of an export, recorded there as a request with its audit event. */
  async function organizationPart(tx: Tx, ctx: RequestContext, userId: string) {
    const part = await repo.organizationPart(tx, userId);
    const request = await repo.insertRequest(tx, { userId, kind: 'export', requestedBy: requester(ctx) });
    await recordAuditEvent(tx, ctx, { action: 'person.exported', target: { type: 'user', id: userId }, details: { requestId: request.id } });
    return { ...part, events: await openEvents(tx, personalData, part.events) };
  }

  async function assemble(
    tx: Tx,
    user: User,
    organizationId: string | null,
    parts: Awaited<ReturnType<typeof organizationPart>>[],
  ): Promise<PersonDataExport> {
    const person = await tx.withScope(null, async (sys) => {
      const p = await repo.personPart(sys, user.id);
      return { ...p, sessions: await openSessions(sys, personalData, p.sessions) };
    });
    return {
      type: 'aim.person_export',
      version: 1,
      exportedAt: new Date().toISOString(),
      organizationId,
      person: { id: user.id, email: user.email, name: user.name, status: user.status, emailVerified: person.emailVerified, createdAt: user.createdAt.toISOString() },
      memberships: parts.flatMap((p) => (p.membership ? [p.membership as PersonDataExport['memberships'][number]] : [])),
      sessions: person.sessions.map((s) => ({
        id: s.id,
        authMethod: s.auth_method,
        userAgent: s.user_agent,
        clientIp: s.client_ip,
        createdAt: s.created_at.toISOString(),
        lastSeenAt: s.last_seen_at.toISOString(),
        expiresAt: s.expires_at.toISOString(),
        revokedAt: s.revoked_at?.toISOString() ?? null,
      })),
      passkeys: person.passkeys,
      identities: person.identities,
      apiKeys: parts.flatMap((p) => p.apiKeys) as PersonDataExport['apiKeys'],
      agents: parts.flatMap((p) => p.agents),
      auditEvents: parts.flatMap((p) => p.events.map(eventJson)),
      auditEventsTruncated: parts.some((p) => p.eventsTruncated),
    };
  }

  return {
    /** What the organization holds about one of its people (privacy.manage). */
    async exportPerson(ctx: OrgContext, userId: string): Promise<PersonDataExport> {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const user = await memberOf(tx, userId);
        return assemble(tx, user, ctx.organizationId, [await organizationPart(tx, ctx, userId)]);
      });
    },

    /** The signed-in person's own data, from every organization they belong to. */
    async exportMine(ctx: UserContext): Promise<PersonDataExport> {
      const organizations = await db.transaction({ organizationId: null }, async (tx) =>
        (await tx.query<{ organization_id: string }>('select organization_id from aim_user_organizations($1)', [ctx.userId])).rows.map((r) => r.organization_id),
      );
      const parts: Awaited<ReturnType<typeof organizationPart>>[] = [];
      for (const organizationId of organizations) {
        parts.push(await db.transaction({ organizationId }, (tx) => organizationPart(tx, { ...ctx, organizationId }, ctx.userId)));
      }
      return db.transaction({ organizationId: null }, async (tx) => {
        const user = (await users.get(tx, ctx.userId))!;
        return assemble(tx, user, null, parts);
      });
    },

    /**
     * Erase a member: refused for the last admin, while the organization is on legal hold, for a
     * person who also belongs elsewhere, or a
     * confirmation that names someone else. Their API keys here are revoked, their notifications and
     * invitations here deleted, their membership, sessions, passkeys and sign-in links deleted, their
     * row emptied and their key destroyed; `person.erased` is recorded in the same transaction.
     */
    async erase(ctx: OrgContext, userId: string, confirm: string) {
      const result = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const user = await memberOf(tx, userId);
        const locked = await memberships.lockAll(tx);
        const role = locked.find((m) => m.user_id === userId)!.role;
        if (role === 'admin' && locked.filter((m) => m.role === 'admin').length === 1) {
          throw new AppError('erasure_last_admin', 'This person is the organization’s last admin; make someone else admin first.');
        }
        if (await onLegalHold(tx, ctx.organizationId)) {
          // GDPR Art. 17(3)(e): data needed for legal claims is kept; the erasure is asked again once the hold is released.
          throw new AppError('legal_hold_active', 'The organization is on legal hold: nothing of its data may be deleted, a person’s included, until the hold is released.');
        }
        if ((await repo.otherOrganizations(tx, userId)).length > 0) {
          throw new AppError('erasure_other_organizations', 'This person also belongs to other organizations; each must remove them first.');
        }
        if (normalizeEmail(confirm) !== normalizeEmail(user.email) && confirm.trim() !== `ERASE ${userId}`) {
          throw new AppError('erasure_confirmation_mismatch', 'Type the person’s email address (or ERASE followed by their id) to confirm.');
        }
        const apiKeyHashes = await revokeApiKeysOf(tx, ctx, userId);
        const notifications = await deleteNotificationsOf(tx, userId);
        const invitationsRevoked = await revokeInvitationsSentBy(tx, ctx, userId);
        await memberships.remove(tx, userId);
        const personal = await tx.withScope(null, async (sys) => {
          const sessions = await deleteSessionsOf(sys, userId);
          const passkeys = await deletePasskeysOf(sys, userId);
          const identities = await deleteIdentitiesOf(sys, userId);
          const row = await eraseUserRow(sys, userId);
          const { keyId } = await personalData.destroy(sys, userId);
          return { sessions, passkeys, identities, emailHash: row?.emailHash ?? null, keyId };
        });
        const invitations = personal.emailHash ? await deleteInvitationsOf(tx, userId, personal.emailHash) : 0;
        const request = await repo.insertRequest(tx, { userId, kind: 'erasure', requestedBy: requester(ctx) });
        const erased = {
          keyId: personal.keyId,
          sessions: personal.sessions.length,
          passkeys: personal.passkeys,
          identities: personal.identities,
          invitations,
          invitationsRevoked,
          notifications,
          apiKeysRevoked: apiKeyHashes.length,
        };
        const event = await recordAuditEvent(tx, ctx, {
          action: 'person.erased',
          target: { type: 'user', id: userId },
          // `apiKeysRevoked` would read as a secret to the audit guard: the revocations have their own events.
          details: { requestId: request.id, role, keyId: erased.keyId, sessions: erased.sessions, passkeys: erased.passkeys, identities: erased.identities, invitations, invitationsRevoked, notifications, keysRevoked: erased.apiKeysRevoked },
        });
        return { request: privacyRequestJson(request), erased, auditEventId: event.id, sessionIds: personal.sessions, apiKeyHashes };
      });
      // Access ends at once on every instance: the membership, each session, each key.
      await cache.forgetMembership(ctx.organizationId, userId);
      for (const id of result.sessionIds) await cache.forgetSession(id);
      for (const hash of result.apiKeyHashes) await cache.forgetApiKey(hash);
      return { request: result.request, erased: result.erased, auditEventId: result.auditEventId };
    },

    async listRequests(ctx: OrgContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => ({ requests: (await repo.list(tx, 200)).map(privacyRequestJson) }));
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
