import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../db/database.js';

/**
 * Ed25519 signing keys kept in the database (private halves encrypted with the keyring), one set
 * per purpose. The newest key signs; it is replaced when older than `rotateAfterMs`, and a replaced
 * key keeps verifying for `retainMs` (at least the lifetime of what it signed), so rotation signs
 * nobody out. Every instance reloads the set at least every `refreshMs`, and at once when it meets
 * an unknown key id (at most every few seconds, so random ids cannot hammer the database).
 */
export type KeyPurpose = 'session' | 'agent_token' | 'audit_checkpoint';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface SigningKeys {
  current(): Promise<SigningKey>;
  verificationKey(kid: string): Promise<KeyObject | undefined>;
  /** Public keys still valid for verification, as JWKs with kid, alg and use. */
  publicJwks(): Promise<JWK[]>;
  /** Retire the current key now (tests and key compromise). */
  rotate(): Promise<SigningKey>;
  /**
   * The public JWK of one of this deployment's own keys, derived from its private half (decrypted with
   * the keyring): undefined for a key whose private half the keyring does not open — one put into the
   * table by someone else, whatever public key it claims.
   */
  ownPublicJwk(kid: string): Promise<JWK | undefined>;
}

interface Row {
  kid: string;
  public_jwk: JWK;
  private_key_encrypted: string;
  activated_at: Date;
  expires_at: Date | null;
}

export interface SigningKeyOptions {
  db: Database;
  keyring: Keyring;
  purpose: KeyPurpose;
  rotateAfterMs: number;
  retainMs: number;
  refreshMs?: number;
  now?: () => number;
}

export function createSigningKeys(options: SigningKeyOptions): SigningKeys {
  const { db, keyring, purpose, rotateAfterMs, retainMs } = options;
  const refreshMs = options.refreshMs ?? 60_000;
  const now = options.now ?? Date.now;
  let rows: Row[] = [];
  let loadedAt = 0;
  let loading: Promise<void> | undefined;
  let active: (SigningKey & { activatedAt: number }) | undefined;
  const publicKeys = new Map<string, KeyObject>();
  const own = new Map<string, JWK>();

  const aad = (kid: string) => `signing_keys.private_key:${kid}`;

  const load = () =>
    (loading ??= (async () => {
      try {
        const result = await db.transaction({ organizationId: null }, (tx) =>
          tx.query<Row>(
            `select kid, public_jwk, private_key_encrypted, activated_at, expires_at from signing_keys
              where purpose = $1 and (expires_at is null or expires_at > now()) order by activated_at desc, kid`,
            [purpose],
          ),
        );
        rows = result.rows;
        loadedAt = now();
        publicKeys.clear();
        for (const row of rows) publicKeys.set(row.kid, createPublicKey({ key: row.public_jwk as never, format: 'jwk' }));
        const newest = rows.find((r) => r.expires_at === null);
        active =
          newest && active?.kid === newest.kid
            ? active
            : newest
              ? {
                  kid: newest.kid,
                  privateKey: createPrivateKey(keyring.decrypt(newest.private_key_encrypted, aad(newest.kid))),
                  activatedAt: newest.activated_at.getTime(),
                }
              : undefined;
      } finally {
        loading = undefined;
      }
    })());

  const createKey = async (force: boolean): Promise<void> => {
    await db.transaction({ organizationId: null }, async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('aim.signing_keys.' || $1))`, [purpose]);
      const { rows: current } = await tx.query<{ kid: string; activated_at: Date }>(
        `select kid, activated_at from signing_keys where purpose = $1 and expires_at is null order by activated_at desc limit 1`,
        [purpose],
      );
      const newest = current[0];
      // Another instance may have rotated while we waited for the lock.
      if (!force && newest && now() - newest.activated_at.getTime() < rotateAfterMs) return;
      if (force && newest && active && newest.kid !== active.kid) return;
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const kid = `${purpose.replace('_', '-')}-${randomBytes(8).toString('hex')}`;
      const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' };
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await tx.query(
        `update signing_keys set retired_at = now(), expires_at = now() + make_interval(secs => $2::double precision / 1000)
          where purpose = $1 and expires_at is null`,
        [purpose, retainMs],
      );
      await tx.query(
        `insert into signing_keys (kid, purpose, algorithm, public_jwk, private_key_encrypted) values ($1, $2, 'EdDSA', $3, $4)`,
        [kid, purpose, jwk, keyring.encrypt(pem, aad(kid))],
      );
    });
    await load();
  };

  const fresh = async () => {
    if (now() - loadedAt > refreshMs) await load();
  };

  return {
    async current() {
      await fresh();
      if (!active || now() - active.activatedAt >= rotateAfterMs) await createKey(false);
      if (!active) throw new Error(`no ${purpose} signing key could be created`);
      return active;
    },
    async verificationKey(kid) {
      await fresh();
      if (!publicKeys.has(kid) && now() - loadedAt > 5_000) await load();
      return publicKeys.get(kid);
    },
    async publicJwks() {
      await fresh();
      return rows.map((r) => r.public_jwk);
    },
    async ownPublicJwk(kid) {
      const cached = own.get(kid);
      if (cached) return cached;
      const { rows: found } = await db.transaction({ organizationId: null }, (tx) =>
        tx.query<Row>('select kid, public_jwk, private_key_encrypted from signing_keys where purpose = $1 and kid = $2', [purpose, kid]),
      );
      const row = found[0];
      if (!row) return undefined;
      let derived: JWK;
      try {
        derived = createPublicKey(createPrivateKey(keyring.decrypt(row.private_key_encrypted, aad(kid)))).export({ format: 'jwk' }) as JWK;
      } catch {
        return undefined;
      }
      if (derived.x !== row.public_jwk.x) return undefined;
      const jwk = { ...derived, kid, alg: 'EdDSA', use: 'sig' };
      own.set(kid, jwk);
      return jwk;
    },
    async rotate() {
      await fresh();
      await createKey(true);
      if (!active) throw new Error(`no ${purpose} signing key could be created`);
      return active;
    },
  };
}
