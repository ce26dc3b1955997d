import type { setupSchema } from '@aim/contracts';
import type { z } from 'zod';
import type { SharedStore } from '../../platform/store/shared-store.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { randomToken, safeEqual, sha256 } from '../../platform/crypto/tokens.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import { insertApiKey, type ApiKey } from '../api-keys/index.js';
import { membershipRepository as memberships } from '../members/index.js';
import { organizationRepository as organizations, type Organization } from '../organizations/index.js';
import type { IssuedSession, SessionService } from '../sessions/index.js';

import type { User, UserRepository } from '../users/index.js';

/**
 * First run. While no organization exists, two tokens can create the first organization and its
 * admin, once:
 *  - the one-time setup link printed at start (single use, 30 minutes): the admin is signed in
 *    with a session, from which they add a passkey or an identity provider;
 *  - AIM_BOOTSTRAP_TOKEN, for automated installs: the answer carries an admin API key, shown once.
 * Either answers 409 once any organization exists. No default credentials exist anywhere.
 */
const LINK_KEY = 'setup:link';
const LINK_TTL_MS = 30 * 60_000;

export interface SetupResult {
  organization: Organization;
  user: User;
  apiKey: { apiKey: ApiKey; key: string } | null;
  session: IssuedSession | null;
}

export function createSetupService(deps: {
  db: Database;
  store: SharedStore;
  users: UserRepository;
  sessions: SessionService;
  bootstrapToken: string | undefined;
}) {
  const { db, store, users, sessions } = deps;

  const organizationExists = () => db.transaction({ organizationId: null }, (tx) => organizations.exists(tx));

  return {
    /** At start: when no organization exists, make a one-time link token (null otherwise). */
    async issueLinkToken(): Promise<string | null> {
      if (await organizationExists()) return null;
      const token = randomToken(24);
      await store.set(LINK_KEY, sha256(token).toString('hex'), LINK_TTL_MS);
      return token;
    },

    async complete(ctx: RequestContext, input: z.output<typeof setupSchema>): Promise<SetupResult> {
      const viaBootstrap = deps.bootstrapToken !== undefined && safeEqual(input.token, deps.bootstrapToken);
      let viaLink = false;
      if (!viaBootstrap) {
        const expected = await store.get(LINK_KEY);
        viaLink = expected !== null && safeEqual(sha256(input.token).toString('hex'), expected);
      }
      if (!viaBootstrap && !viaLink) {
        if (await organizationExists()) throw new AppError('conflict', 'AIM is already set up; sign in instead.');
        throw new AppError('invalid_token', 'The setup token is not valid or has expired; restart AIM for a new setup link.');
      }

      const organizationId = newId('org');
      const userId = newId('usr');
      const actorCtx: RequestContext = { ...ctx, actor: { type: 'user', id: userId }, userId, personId: userId, organizationId, role: 'admin' };
      const result = await db.transaction({ organizationId }, async (tx) => {
        // One setup at a time; the check and the creation are atomic.
        await tx.query(`select pg_advisory_xact_lock(hashtext('aim.setup'))`);
        if (await organizations.exists(tx)) throw new AppError('conflict', 'AIM is already set up; sign in instead.');
        const organization = await organizations.insert(tx, input.organization.name);
        await tx.withScope(null, (system) => users.insert(system, { id: userId, email: input.admin.email, name: input.admin.name }));
        await memberships.add(tx, userId, 'admin');
        await recordAuditEvent(tx, actorCtx, {
          action: 'organization.create',
          target: { type: 'organization', id: organizationId },
          details: { name: organization.name, via: viaBootstrap ? 'bootstrap_token' : 'setup_link' },
        });
        await recordAuditEvent(tx, actorCtx, { action: 'member.add', target: { type: 'user', id: userId }, details: { role: 'admin' } });
        let apiKey: SetupResult['apiKey'] = null;
        if (viaBootstrap) {
          apiKey = await insertApiKey(tx, { name: 'Bootstrap admin key', role: 'admin', createdBy: userId, expiresAt: null });
          await recordAuditEvent(tx, actorCtx, { action: 'api_key.create', target: { type: 'api_key', id: apiKey.apiKey.id }, details: { role: 'admin' } });
        }
        const user = (await users.get(tx, userId))!;
        // Signed in within the same transaction: the admin never ends up without a way back in.
        const session = viaLink
          ? await tx.withScope(null, (system) => sessions.start(system, actorCtx, { userId, organizationId, method: 'setup' }))
          : null;
        return { organization, user, apiKey, session };
      });
      if (viaLink) await store.delete(LINK_KEY);
      return result;
    },
  };
}

export type SetupService = ReturnType<typeof createSetupService>;
