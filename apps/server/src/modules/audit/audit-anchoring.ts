import { createPublicKey, verify } from 'node:crypto';
import { open, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkpointMessage,
  timestampRequest,
  tokenFromResponse,
  witnessCheckpointRecord,
  witnessKeyRecord,
  type Checkpoint,
  type WitnessRecord,
} from '@aim/audit-verify';
import type { Logger } from 'pino';
import { fetch as undiciFetch } from 'undici';
import type { Database } from '../../platform/db/database.js';
import type { GuardedFetch } from '../../platform/net/outbound-guard.js';

/**
 * Anchoring checkpoints outside AIM (docs/audit.md §7, §8): every checkpoint's signature is
 * time-stamped by an RFC 3161 authority (AUDIT_TSA_URL) and every checkpoint, with the key that signed
 * it, is published to an append-only witness (AUDIT_WITNESS). Neither is needed to make a checkpoint:
 * a checkpoint is made whatever they answer, its anchoring state is recorded on it (tsa_status,
 * witnessed_at) and what failed is retried with back-off, from any instance (a claim on the row).
 */
export interface Witness {
  /** Where it is, for logs and the status (no credentials: a URL's user information is dropped). */
  readonly where: string;
  publish(record: WitnessRecord): Promise<void>;
}

/** An NDJSON file, appended to (one write per record, flushed to disk before it counts as published). */
export function fileWitness(url: string): Witness {
  const path = fileURLToPath(url);
  return {
    where: url,
    async publish(record) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const handle = await open(path, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(record)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
  };
}

/** An HTTP(S) endpoint: each record POSTed as JSON; any 2xx answer means it was kept. */
export function httpWitness(url: string, fetch: GuardedFetch): Witness {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return {
    where: shown.href,
    async publish(record) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status > 299) throw new Error(`the witness answered HTTP ${response.status}`);
    },
  };
}

export function createWitness(url: string, fetch: GuardedFetch): Witness {
  return url.startsWith('file:') ? fileWitness(url) : httpWitness(url, fetch);
}

export interface TimestampAuthority {
  readonly url: string;
  /** A TimeStampToken (DER) over `data`, or a throw saying why not. */
  stamp(data: Buffer): Promise<Buffer>;
}

/** An RFC 3161 authority over HTTP (RFC 3161 §3.4): application/timestamp-query in, -reply out. */
export function createTimestampAuthority(url: string, timeoutMs: number): TimestampAuthority {
  return {
    url,
    async stamp(data) {
      const request = timestampRequest(data);
      const response = await undiciFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body: request.der,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) throw new Error(`the time-stamping authority answered HTTP ${response.status}`);
      return tokenFromResponse(body, { data, nonce: request.nonce });
    },
  };
}

interface ClaimRow {
  seq: string;
  hash: Buffer;
  signed_at_text: string;
  kid: string;
  signature: Buffer;
  stamp: boolean;
  publish: boolean;
  tsa_attempts: number;
  witness_attempts: number;
}

/** How long a claimed checkpoint is left to the instance that claimed it before another may try. */
const LEASE_SECONDS = 120;
/**
 * A new checkpoint is anchored by the request that made it; the sweep leaves it alone this long, so that
 * the two never race for it (and the answer says whether it was published). If the request dies before
 * anchoring it, the sweep takes it up after this.
 */
const MAKER_FIRST_SECONDS = 30;
const MAX_BACKOFF_MS = 3_600_000;

export function createAnchoring(deps: {
  db: Database;
  logger: Pick<Logger, 'warn' | 'error'>;
  witness: Witness | undefined;
  tsa: TimestampAuthority | undefined;
  retryMs: number;
  /**
   * The public JWK of one of this server's own checkpoint keys (derived from its private half), to
   * publish it before what it signed and to check that a checkpoint is genuine before anchoring it;
   * undefined for a key that is not its own.
   */
  publicKey: (kid: string) => Promise<Record<string, unknown> | undefined>;
}) {
  const { db, witness, tsa } = deps;
  const backoffMs = (attempts: number) => Math.min(deps.retryMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);

  async function publishKey(kid: string): Promise<void> {
    const { rows } = await db.transaction({ organizationId: null }, (tx) => tx.query('select 1 from audit_witnessed_keys where kid = $1', [kid]));
    if (rows.length > 0) return;
    const jwk = await deps.publicKey(kid);
    if (!jwk) throw new Error(`checkpoint key ${kid} is not a key of this server`);
    const record = witnessKeyRecord(jwk, new Date().toISOString());
    await witness!.publish(record);
    await db.transaction({ organizationId: null }, (tx) =>
      tx.query('insert into audit_witnessed_keys (kid, fingerprint) values ($1, $2) on conflict (kid) do nothing', [kid, record.fingerprint]),
    );
  }

  /** Time-stamp and publish one checkpoint, whichever of the two is due; the outcome is recorded on it. */
  async function anchor(organizationId: string, seq: number, options: { justMade?: boolean } = {}): Promise<void> {
    const claimed = await db.transaction({ organizationId }, async (tx) => {
      // `justMade` is the request that made the checkpoint: its first attempt is due at once, before
      // the time the sweep may take it (MAKER_FIRST_SECONDS).
      const { rows } = await tx.query<ClaimRow>(
        `with due as (
           select organization_id, seq,
                  (tsa_status in ('pending', 'failed') and (tsa_next_attempt_at <= now() or ($4 and tsa_attempts = 0))) as stamp,
                  (witnessed_at is null and (witness_next_attempt_at <= now() or ($4 and witness_attempts = 0))) as publish
             from audit_checkpoints where organization_id = $1 and seq = $2 for update skip locked)
         update audit_checkpoints c set
                tsa_next_attempt_at = case when due.stamp then now() + make_interval(secs => $3) else c.tsa_next_attempt_at end,
                witness_next_attempt_at = case when due.publish then now() + make_interval(secs => $3) else c.witness_next_attempt_at end
           from due where c.organization_id = due.organization_id and c.seq = due.seq and (due.stamp or due.publish)
         returning c.seq, c.hash, to_char(c.signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as signed_at_text, c.kid, c.signature,
                   due.stamp, due.publish, c.tsa_attempts, c.witness_attempts`,
        [organizationId, seq, LEASE_SECONDS, options.justMade === true],
      );
      return rows[0];
    });
    if (!claimed) return;
    const checkpoint: Checkpoint = {
      organizationId,
      seq,
      hash: claimed.hash.toString('hex'),
      signedAt: claimed.signed_at_text,
      kid: claimed.kid,
      signature: claimed.signature.toString('base64url'),
    };
    // Each outcome is written to the row that was claimed, and only to it (its signature): a row replaced
    // meanwhile does not inherit a token or a witness time that were for another.
    const record = (sql: string, params: unknown[]) =>
      db.transaction({ organizationId }, (tx) => tx.query(`${sql} and signature = $3`, [organizationId, seq, claimed.signature, ...params]));
    // Only what this server signed is anchored: a checkpoint row written by someone with access to the
    // database (their key, their signature) is never published nor stamped, and is reported.
    const jwk = await deps.publicKey(checkpoint.kid);
    const genuine =
      jwk !== undefined &&
      verify(null, checkpointMessage(checkpoint), createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) }, format: 'jwk' }), claimed.signature);
    if (!genuine) {
      deps.logger.error({ organizationId, seq, kid: checkpoint.kid }, 'an audit checkpoint is not signed by a key of this server: it is neither published nor time-stamped (was the database changed?)');
      const why = `not signed by a key of this server (${checkpoint.kid}): never anchored`;
      await record(
        `update audit_checkpoints set tsa_status = case when tsa_status in ('pending', 'failed') then 'failed' else tsa_status end, tsa_next_attempt_at = null,
                tsa_error = case when tsa_status in ('pending', 'failed') then $4 else tsa_error end, witness_next_attempt_at = null, witness_error = $4
          where organization_id = $1 and seq = $2`,
        [why],
      );
      return;
    }
    if (claimed.publish && witness) {
      try {
        await publishKey(checkpoint.kid);
        await witness.publish(witnessCheckpointRecord(checkpoint, new Date().toISOString()));
        await record(
          `update audit_checkpoints set witnessed_at = now(), witness_attempts = witness_attempts + 1, witness_next_attempt_at = null, witness_error = null
            where organization_id = $1 and seq = $2`,
          [],
        );
      } catch (error) {
        const attempts = claimed.witness_attempts + 1;
        deps.logger.warn({ err: error, organizationId, seq, witness: witness.where }, 'could not publish an audit checkpoint to the witness; will retry');
        await record(
          `update audit_checkpoints set witness_attempts = $4, witness_next_attempt_at = now() + make_interval(secs => $5::double precision / 1000), witness_error = $6
            where organization_id = $1 and seq = $2`,
          [attempts, backoffMs(attempts), String((error as Error).message).slice(0, 500)],
        );
      }
    }
    if (claimed.stamp && tsa) {
      try {
        const token = await tsa.stamp(claimed.signature);
        await record(
          `update audit_checkpoints set tsa_token = $4, tsa_status = 'stamped', tsa_attempts = tsa_attempts + 1, tsa_next_attempt_at = null, tsa_error = null
            where organization_id = $1 and seq = $2`,
          [token],
        );
      } catch (error) {
        const attempts = claimed.tsa_attempts + 1;
        deps.logger.warn({ err: error, organizationId, seq, tsa: tsa.url }, 'could not time-stamp an audit checkpoint; will retry');
        await record(
          `update audit_checkpoints set tsa_status = 'failed', tsa_attempts = $4, tsa_next_attempt_at = now() + make_interval(secs => $5::double precision / 1000), tsa_error = $6
            where organization_id = $1 and seq = $2`,
          [attempts, backoffMs(attempts), String((error as Error).message).slice(0, 500)],
        );
      }
    }
  }

  /**
   * Every checkpoint key of this server the witness does not hold yet (those that signed checkpoints
   * before a witness was configured, or were rotated in): published, so that a key file listing them is
   * not taken for a replaced one. A key whose private half the keyring does not open is never published.
   */
  const notOurs = new Set<string>();
  async function publishOwnKeys(): Promise<void> {
    if (!witness) return;
    const { rows: keys } = await db.query<{ kid: string }>('select kid from aim_audit_checkpoint_keys()');
    const { rows: held } = await db.transaction({ organizationId: null }, (tx) => tx.query<{ kid: string }>('select kid from audit_witnessed_keys'));
    const known = new Set(held.map((r) => r.kid));
    for (const { kid } of keys) {
      if (known.has(kid) || notOurs.has(kid)) continue;
      if (!(await deps.publicKey(kid))) {
        notOurs.add(kid);
        deps.logger.error({ kid }, 'a checkpoint key in the database is not one of this server: it is not published to the witness (was the database changed?)');
        continue;
      }
      await publishKey(kid);
    }
  }

  /** Every checkpoint whose time-stamp or publication is due, oldest first (at most `max` per pass). */
  async function sweep(max = 100): Promise<number> {
    await publishOwnKeys().catch((error: unknown) => deps.logger.warn({ err: error }, 'could not publish the checkpoint keys to the witness; will retry'));
    const { rows } = await db.query<{ organization_id: string; seq: string }>('select organization_id, seq from aim_audit_anchoring_due($1)', [max]);
    for (const row of rows) {
      try {
        await anchor(row.organization_id, Number(row.seq));
      } catch (error) {
        deps.logger.warn({ err: error, organizationId: row.organization_id, seq: row.seq }, 'could not anchor an audit checkpoint');
      }
    }
    return rows.length;
  }

  return {
    enabled: Boolean(witness || tsa),
    /** The anchoring state a new checkpoint starts with (its insert's columns). */
    initialState: () => ({ tsaStatus: tsa ? 'pending' : 'none', stamp: Boolean(tsa), publish: Boolean(witness), sweepAfterSeconds: MAKER_FIRST_SECONDS }),
    anchor,
    sweep,
  };
}

export type Anchoring = ReturnType<typeof createAnchoring>;

/** The anchoring the deployment configured (AUDIT_TSA_URL, AUDIT_WITNESS); undefined when neither is. */
export function anchoringFromConfig(deps: {
  db: Database;
  logger: Pick<Logger, 'warn' | 'error'>;
  config: { tsaUrl: string | undefined; tsaTimeoutMs: number; witness: string | undefined; retryMs: number };
  outboundFetch: GuardedFetch;
  ownPublicJwk: (kid: string) => Promise<Record<string, unknown> | undefined>;
}): Anchoring | undefined {
  const { config } = deps;
  if (!config.tsaUrl && !config.witness) return undefined;
  return createAnchoring({
    db: deps.db,
    logger: deps.logger,
    witness: config.witness ? createWitness(config.witness, deps.outboundFetch) : undefined,
    tsa: config.tsaUrl ? createTimestampAuthority(config.tsaUrl, config.tsaTimeoutMs) : undefined,
    retryMs: config.retryMs,
    publicKey: deps.ownPublicJwk,
  });
}
