import { ROLES, type Role } from '@aim/contracts';
import type { AppInstance } from '../app.js';
import { SYSTEM_CONTEXT } from '../platform/http/request-context.js';
import { newId } from '../platform/ids.js';
import { insertApiKey } from '../modules/api-keys/api-key-service.js';
import { membershipRepository } from '../modules/members/membership-repository.js';
import { organizationRepository } from '../modules/organizations/organization-repository.js';
import type { TestApp } from './test-app.js';

/**
 * Test fixtures for people: an organization with one person per role, a signed-in session and an
 * API key for each. Built through the real repositories and session service (sign-in by OIDC or
 * passkey is tested on its own; here a session is started as those flows start it).
 */
export interface Credentials {
  /** Headers for a cookie session: Cookie, plus Origin and x-csrf-token for changes. */
  session: Record<string, string>;
  /** Headers for the API key. */
  apiKey: Record<string, string>;
  userId: string;
  sessionId: string;
  apiKeyId: string;
  refreshToken: string;
}

export interface SeededOrganization {
  organizationId: string;
  as: Record<Role, Credentials>;
}

/** What a browser at AIM's default address in tests sends as Origin (inject names Host localhost:80; PORT is 80). */
export const ORIGIN = 'http://localhost';

export async function startSession(t: TestApp, userId: string, organizationId: string | null) {
  const issued = await t.platform.db.transaction({ organizationId: null }, (tx) =>
    t.app.services.sessions.start(tx, SYSTEM_CONTEXT, { userId, organizationId, method: 'setup' }),
  );
  return {
    sessionId: issued.sessionId,
    refreshToken: issued.refreshToken,
    headers: {
      cookie: `aim_access=${issued.accessToken}; aim_csrf=${issued.csrfToken}`,
      origin: ORIGIN,
      'x-csrf-token': issued.csrfToken,
    },
  };
}

export async function createUser(t: TestApp, email: string, name: string): Promise<string> {
  const id = newId('usr');
  await t.platform.db.transaction({ organizationId: null }, (tx) => t.app.services.users.insert(tx, { id, email, name }));
  return id;
}

/** The email address seedOrganization gives the person of `role` in the organization. */
export const seededEmail = (role: string, organizationId: string): string => `${role}.${organizationId.slice(-8)}@example.com`;

export async function seedOrganization(t: TestApp, name = 'Org'): Promise<SeededOrganization> {
  const organizationId = newId('org');
  const tag = organizationId.slice(-8);
  const people = await Promise.all(ROLES.map((role) => createUser(t, seededEmail(role, organizationId), `${role} ${tag}`)));
  const keys = await t.platform.db.transaction({ organizationId }, async (tx) => {
    await organizationRepository.insert(tx, `${name} ${tag}`);
    const out: { id: string; key: string }[] = [];
    for (const [i, role] of ROLES.entries()) {
      await membershipRepository.add(tx, people[i]!, role);
      const created = await insertApiKey(tx, { name: `${role} key`, role, createdBy: people[i]!, expiresAt: null });
      out.push({ id: created.apiKey.id, key: created.key });
    }
    return out;
  });
  const as = {} as Record<Role, Credentials>;
  for (const [i, role] of ROLES.entries()) {
    const session = await startSession(t, people[i]!, organizationId);
    as[role] = {
      session: session.headers,
      apiKey: { authorization: `Bearer ${keys[i]!.key}` },
      userId: people[i]!,
      sessionId: session.sessionId,
      apiKeyId: keys[i]!.id,
      refreshToken: session.refreshToken,
    };
  }
  return { organizationId, as };
}

/** An organization identity provider row, written directly (creating one through the API loads its discovery document). */
export async function insertIdentityProvider(t: TestApp, organizationId: string, issuer = 'https://idp.invalid'): Promise<string> {
  const id = newId('idp');
  await t.platform.db.transaction({ organizationId }, (tx) =>
    tx.query(
      `insert into oidc_providers (id, organization_id, preset, display_name, issuer, client_id, client_secret_encrypted)
       values ($1, $2, 'oidc', 'Test IdP', $3, 'client', $4)`,
      [id, organizationId, issuer, t.platform.keyring.encrypt('secret', `oidc_providers.client_secret:${id}`)],
    ),
  );
  return id;
}
