import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
  type VerifiedRegistrationResponse,
} from '@simplewebauthn/server';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database, Tx } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { UserContext } from '../../platform/http/operation.js';
import type { PublicOrigin } from '../../platform/config/public-origin.js';
import type { registerPasskeySchema } from '@aim/contracts';
import type { z } from 'zod';
import { newId } from '../../platform/ids.js';
import type { SharedStore } from '../../platform/store/shared-store.js';
import type { IssuedSession, SessionService } from '../sessions/index.js';
import type { UserRepository } from '../users/index.js';

/**
 * Passkeys (WebAuthn), through @simplewebauthn/server. A signed-in person registers several,
 * named and removable; anyone signs in with one (discoverable credentials: no username first).
 * Challenges are single use and live five minutes in the shared store. User verification (PIN or
 * biometrics) is required: a passkey stands in for a password and a second factor at once.
 */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export interface RelyingParty {
  id: string;
  origin: string;
}

/** The relying party is AIM's public origin, whatever Host a request names (public-origin.ts). */
export function relyingParty(publicOrigin: Pick<PublicOrigin, 'hostname' | 'origin'>): RelyingParty {
  return { id: publicOrigin.hostname, origin: publicOrigin.origin };
}

export interface Passkey {
  id: string;
  name: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

interface Row {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const toPasskey = (r: Row): Passkey => ({
  id: r.id,
  name: r.name,
  deviceType: r.device_type,
  backedUp: r.backed_up,
  transports: r.transports,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export const passkeyJson = (p: Passkey) => ({
  ...p,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
});

export type RegistrationInfo = Extract<VerifiedRegistrationResponse, { verified: true }>['registrationInfo'];

/**
 * Store a verified registration for a person (inside the caller's system-scope transaction). A
 * credential is registered once, to one person: a second registration of it is a conflict.
 */
export async function insertPasskey(tx: Tx, userId: string, info: RegistrationInfo, name: string): Promise<Passkey> {
  const { rows } = await tx.query<Row>(
    `insert into passkeys (id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, name)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (credential_id) do nothing returning *`,
    [
      newId('pky'),
      userId,
      info.credential.id,
      Buffer.from(info.credential.publicKey),
      info.credential.counter,
      info.credential.transports ?? [],
      info.credentialDeviceType,
      info.credentialBackedUp,
      name.trim(),
    ],
  );
  if (!rows[0]) throw new AppError('conflict', 'This passkey is already registered.');
  return toPasskey(rows[0]);
}

export const invalid = (why: string) => new AppError('invalid_assertion', `The passkey response does not verify: ${why}.`);

export function createPasskeyService(deps: { db: Database; store: SharedStore; users: UserRepository; sessions: SessionService }) {
  const { db, store, users, sessions } = deps;
  const system = <T>(fn: (tx: Tx) => Promise<T>) => db.transaction({ organizationId: null }, fn);

  /** Take a challenge once: true the first time, false for unknown, expired or already used. */
  const consume = async (key: string): Promise<boolean> => {
    if ((await store.get(key)) === null) return false;
    if (!(await store.claimOnce(`${key}:used`, CHALLENGE_TTL_MS))) return false;
    await store.delete(key);
    return true;
  };

  /** A passkey's name is the person's own words: sealed under their key in the event (docs/privacy.md). */
  async function audit(tx: Tx, ctx: RequestContext, action: string, passkeyId: string, name?: string) {
    const personal = name !== undefined && ctx.userId ? { personal: { userId: ctx.userId, details: { name } } } : {};
    if (!ctx.organizationId) return; // user-level event: recorded in the organization the session acts for
    await recordAuditEvent(tx, ctx, { organizationId: ctx.organizationId, action, target: { type: 'passkey', id: passkeyId }, ...personal });
  }

  return {
    async registrationOptions(ctx: UserContext, rp: RelyingParty) {
      const userId = ctx.userId;
      const { user, existing } = await system(async (tx) => ({
        user: await users.get(tx, userId),
        existing: (await tx.query<Row>('select * from passkeys where user_id = $1', [userId])).rows,
      }));
      if (!user) throw new AppError('invalid_token', 'Your account no longer exists.');
      const options = await generateRegistrationOptions({
        rpName: 'AIM',
        rpID: rp.id,
        userName: user.email,
        userDisplayName: user.name,
        userID: new TextEncoder().encode(userId),
        attestationType: 'none',
        excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports as AuthenticatorTransportFuture[] })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      });
      await store.set(`webauthn:reg:${userId}:${options.challenge}`, '1', CHALLENGE_TTL_MS);
      return options;
    },

    async register(ctx: UserContext, rp: RelyingParty, input: z.output<typeof registerPasskeySchema>): Promise<Passkey> {
      const userId = ctx.userId;
      const verification = await verifyRegistrationResponse({
        response: input.credential as unknown as RegistrationResponseJSON,
        expectedChallenge: (challenge) => consume(`webauthn:reg:${userId}:${challenge}`),
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: true,
      }).catch((error: Error) => {
        throw invalid(error.message);
      });
      if (!verification.verified) throw invalid('not verified');
      return system(async (tx) => {
        const passkey = await insertPasskey(tx, userId, verification.registrationInfo, input.name);
        await audit(tx, ctx, 'passkey.create', passkey.id, passkey.name);
        return passkey;
      });
    },

    async list(ctx: UserContext): Promise<Passkey[]> {
      const { rows } = await system((tx) => tx.query<Row>('select * from passkeys where user_id = $1 order by created_at, id', [ctx.userId]));
      return rows.map(toPasskey);
    },

    async rename(ctx: UserContext, passkeyId: string, name: string): Promise<Passkey> {
      return system(async (tx) => {
        const { rows } = await tx.query<Row>('update passkeys set name = $3 where user_id = $1 and id = $2 returning *', [ctx.userId, passkeyId, name.trim()]);
        if (!rows[0]) throw notFound('The passkey');
        await audit(tx, ctx, 'passkey.rename', passkeyId, rows[0].name);
        return toPasskey(rows[0]);
      });
    },

    async remove(ctx: UserContext, passkeyId: string): Promise<void> {
      await system(async (tx) => {
        // The person's row, locked: two removals at once cannot both see "another one is left".
        await tx.query('select 1 from users where id = $1 for update', [ctx.userId]);
        const { rowCount } = await tx.query('delete from passkeys where user_id = $1 and id = $2', [ctx.userId, passkeyId]);
        if (!rowCount) throw notFound('The passkey');
        const { rows } = await tx.query<{ left: boolean }>(
          `select exists (select 1 from passkeys where user_id = $1) or exists (select 1 from user_identities where user_id = $1) as left`,
          [ctx.userId],
        );
        if (!rows[0]!.left) {
          throw new AppError(
            'last_sign_in_method',
            'This passkey is your last way to sign in: add another passkey (or sign in once with your identity provider) before removing it.',
          );
        }
        await audit(tx, ctx, 'passkey.delete', passkeyId);
      });
    },

    async signInOptions(rp: RelyingParty) {
      const options = await generateAuthenticationOptions({ rpID: rp.id, userVerification: 'required', allowCredentials: [] });
      await store.set(`webauthn:auth:${options.challenge}`, '1', CHALLENGE_TTL_MS);
      return options;
    },

    async signIn(ctx: RequestContext, rp: RelyingParty, credential: unknown): Promise<{ session: IssuedSession; userId: string }> {
      const response = credential as AuthenticationResponseJSON;
      const { rows } = await system((tx) => tx.query<Row>('select * from passkeys where credential_id = $1', [response.id]));
      const passkey = rows[0];
      if (!passkey) throw invalid('this passkey is not registered here');
      // The authenticator names the account the credential was made for; it must be this one.
      const handle = response.response?.userHandle;
      if (handle && Buffer.from(handle, 'base64url').toString('utf8') !== passkey.user_id) {
        throw invalid('the passkey belongs to another account');
      }
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => consume(`webauthn:auth:${challenge}`),
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: passkey.credential_id,
          publicKey: new Uint8Array(passkey.public_key),
          counter: Number(passkey.counter),
          transports: passkey.transports as AuthenticatorTransportFuture[],
        },
        requireUserVerification: true,
      }).catch((error: Error) => {
        throw invalid(error.message);
      });
      if (!verification.verified) throw invalid('not verified');
      const session = await system(async (tx) => {
        // The counter must move forward (when the authenticator keeps one): a copy would lag behind.
        const updated = await tx.query(
          `update passkeys set counter = $2, last_used_at = now() where id = $1 and (counter = 0 or $2 > counter)`,
          [passkey.id, verification.authenticationInfo.newCounter],
        );
        if (!updated.rowCount) throw invalid('the signature counter went backwards (a cloned authenticator?)');
        const { rows: orgs } = await tx.query<{ organization_id: string }>('select organization_id from aim_user_organizations($1)', [passkey.user_id]);
        const userCtx: RequestContext = { ...ctx, actor: { type: 'user', id: passkey.user_id }, userId: passkey.user_id, personId: passkey.user_id };
        return sessions.start(tx, userCtx, { userId: passkey.user_id, organizationId: orgs[0]?.organization_id ?? null, method: 'passkey' });
      });
      return { session, userId: passkey.user_id };
    },
  };
}

export type PasskeyService = ReturnType<typeof createPasskeyService>;
