import { PERMISSIONS, type Role } from '@aim/contracts';
import { csrfTokenFor } from '../../platform/auth/authenticate.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { UserContext } from '../../platform/http/operation.js';
import { can } from '../access/index.js';
import type { UserRepository } from '../users/index.js';

/** The signed-in person as the dashboard sees them: profile, organizations, and the session's CSRF token. */
export function createMeService(deps: { db: Database; users: UserRepository; keyring: Keyring }) {
  const { db, users, keyring } = deps;
  return {
    async profile(ctx: UserContext) {
      const { userId } = ctx;
      const { user, memberships } = await db.transaction({ organizationId: null }, async (tx) => {
        const user = await users.get(tx, userId);
        const { rows } = await tx.query<{ organization_id: string; name: string; role: Role }>(
          'select organization_id, name, role from aim_user_organizations($1)',
          [userId],
        );
        return { user, memberships: rows };
      });
      if (!user) throw new AppError('invalid_token', 'Your account no longer exists.');
      const current = memberships.find((m) => m.organization_id === ctx.organizationId) ?? null;
      return {
        user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() },
        organization: current ? { id: current.organization_id, name: current.name } : null,
        role: current ? current.role : null,
        permissions: current ? PERMISSIONS.filter((p) => can(current.role, p)) : [],
        memberships: memberships.map((m) => ({ organization: { id: m.organization_id, name: m.name }, role: m.role })),
        // A person's requests always carry their session (the gate of `user` operations).
        sessionId: ctx.sessionId!,
        csrfToken: csrfTokenFor(keyring, ctx.sessionId!),
      };
    },
  };
}

export type MeService = ReturnType<typeof createMeService>;
