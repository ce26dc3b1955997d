import { generateRegistrationOptions, verifyRegistrationResponse, type RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Role, joinWithPasskeyOptionsSchema, joinWithPasskeySchema } from '@aim/contracts';
import type { z } from 'zod';
import type { AccessCache } from '../../platform/auth/access-cache.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { safeEqual, sha256 } from '../../platform/crypto/tokens.js';
import { orgOf, type Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import { newId } from '../../platform/ids.js';
import type { SharedStore } from '../../platform/store/shared-store.js';
import { CHALLENGE_TTL_MS, insertPasskey, invalid, type RelyingParty } from '../passkeys/index.js';
import type { IssuedSession, SessionService } from '../sessions/index.js';
import type { UserRepository } from '../users/index.js';
import { assertUsable, type InvitationService } from './invitation-service.js';

/**
 * Joining an organization through an invitation with a new passkey, for a person with no AIM
 * account yet.
 *
 * options: the link's token and the person's name → WebAuthn creation options for a new account
 *   (its id chosen now, its email the invitation's). The challenge is kept five minutes in the
 *   shared store together with the SHA-256 of the token, the invitation, the account id and name.
 * finish: the token and the authenticator's answer. The challenge must be one issued for this very
 *   token (a challenge of another invitation is refused and stays unused), and is taken once. Then,
 *   in one transaction: the invitation row is locked while still pending (of two finishes racing with
 *   one token exactly one gets it), the person, the membership with the invited role, the passkey,
 *   the invitation marked accepted, their audit events, and a session in that organization.
 */
const PASSKEY_NAME = 'Passkey';

interface PendingJoin {
  tokenHash: string;
  invitationId: string;
  userId: string;
  name: string;
}

export interface Joined {
  session: IssuedSession;
  organization: { id: string; name: string };
  role: Role;
  userId: string;
}

const challengeKey = (challenge: string) => `webauthn:join:${challenge}`;

/** The challenge the browser signed, read from clientDataJSON (verified again by the library). */
function challengeOf(credential: RegistrationResponseJSON): string {
  try {
    const client = JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof client.challenge === 'string' && client.challenge.length > 0 && client.challenge.length <= 200) return client.challenge;
  } catch {
    // refused below
  }
  throw invalid('clientDataJSON does not carry a challenge');
}

const accountExists = () =>
  new AppError('account_exists', 'An AIM account already uses the invited address: sign in (passkey or identity provider), then accept the invitation.');

export function createJoinService(deps: {
  db: Database;
  store: SharedStore;
  keyring: Keyring;
  cache: AccessCache;
  users: UserRepository;
  sessions: SessionService;
  invitations: InvitationService;
}) {
  const { db, store, keyring, users, sessions, invitations } = deps;

  /** The invited address, read in the invitation's organization. */
  async function invitedEmail(organizationId: string, invitationId: string): Promise<string> {
    return db.transaction({ organizationId }, async (tx) => {
      const { rows } = await tx.query<{ email_encrypted: string }>('select email_encrypted from invitations where organization_id = $1 and id = $2', [
        orgOf(tx),
        invitationId,
      ]);
      return keyring.decrypt(rows[0]!.email_encrypted, `invitations.email:${invitationId}`);
    });
  }

  return {
    async passkeyOptions(rp: RelyingParty, input: z.output<typeof joinWithPasskeyOptionsSchema>) {
      const inv = await invitations.findByToken(input.token);
      assertUsable(inv);
      const email = await invitedEmail(inv.organizationId, inv.id);
      if ((await db.transaction({ organizationId: null }, (tx) => users.findIdByEmail(tx, email))) !== null) throw accountExists();
      const userId = newId('usr');
      const name = input.name.trim();
      const options = await generateRegistrationOptions({
        rpName: 'AIM',
        rpID: rp.id,
        userName: email,
        userDisplayName: name,
        userID: new TextEncoder().encode(userId),
        attestationType: 'none',
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      const pending: PendingJoin = { tokenHash: sha256(input.token).toString('hex'), invitationId: inv.id, userId, name };
      await store.set(challengeKey(options.challenge), JSON.stringify(pending), CHALLENGE_TTL_MS);
      return options;
    },

    async finishWithPasskey(ctx: RequestContext, rp: RelyingParty, input: z.output<typeof joinWithPasskeySchema>): Promise<Joined> {
      const response = input.credential as unknown as RegistrationResponseJSON;
      const key = challengeKey(challengeOf(response));
      const raw = await store.get(key);
      const pending = raw ? (JSON.parse(raw) as PendingJoin) : null;
      // Bound to its invitation: a challenge issued for another token does not count (and is not spent).
      if (!pending || !safeEqual(pending.tokenHash, sha256(input.token).toString('hex'))) {
        throw new AppError('invalid_challenge', 'The passkey challenge is unknown, expired (5 minutes), already used or for another invitation; start again.');
      }
      const verification = await verifyRegistrationResponse({
        response,
        // Taken once, even when two finishes race with the same answer.
        expectedChallenge: async (challenge) => challengeKey(challenge) === key && (await store.claimOnce(`${key}:used`, CHALLENGE_TTL_MS)),
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: true,
      }).catch((error: Error) => {
        throw invalid(error.message);
      });
      if (!verification.verified) throw invalid('not verified');
      await store.delete(key);

      const inv = await invitations.findByToken(input.token);
      assertUsable(inv);
      const { userId, name } = pending;
      const personCtx: RequestContext = {
        ...ctx,
        actor: { type: 'user', id: userId },
        userId,
        personId: userId,
        organizationId: inv.organizationId,
        role: inv.role,
      };
      const joined = await db.transaction({ organizationId: inv.organizationId }, async (tx) => {
        // Locked while pending: a second finish with this token waits here, then is told it was used.
        const invitation = await invitations.lockPending(tx, inv.id);
        await tx.withScope(null, async (system) => {
          // The address is unique among people: taken meanwhile (by a sign-in through a provider), it is theirs.
          if ((await users.findIdByEmail(system, invitation.email)) !== null) throw accountExists();
          // Not verified: the inviter saw the link too, so holding it does not prove the address (migration 0012).
          await users.insert(system, { id: userId, email: invitation.email, name, emailVerified: false }).catch((error: unknown) => {
            throw (error as { code?: string }).code === '23505' ? accountExists() : error;
          });
        });
        await invitations.acceptIn(tx, personCtx, inv.id, userId, inv.role);
        const passkey = await tx.withScope(null, (system) => insertPasskey(system, userId, verification.registrationInfo, PASSKEY_NAME));
        await recordAuditEvent(tx, personCtx, { action: 'passkey.create', target: { type: 'passkey', id: passkey.id }, personal: { userId, details: { name: passkey.name } } });
        const organization = await tx.query<{ name: string }>('select name from organizations where id = $1', [orgOf(tx)]);
        const session = await tx.withScope(null, (system) =>
          sessions.start(system, personCtx, { userId, organizationId: inv.organizationId, method: 'passkey' }),
        );
        return { session, organization: { id: inv.organizationId, name: organization.rows[0]!.name }, role: inv.role, userId };
      });
      await deps.cache.forgetMembership(inv.organizationId, userId);
      return joined;
    },
  };
}

export type JoinService = ReturnType<typeof createJoinService>;
