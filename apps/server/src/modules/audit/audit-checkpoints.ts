import { sign } from 'node:crypto';
import { checkpointMessage, type Checkpoint, type Jwks } from '@aim/audit-verify';
import type { Logger } from 'pino';
import type { SigningKeys } from '../../platform/auth/signing-keys.js';
import type { AuditSequencer } from '../../platform/audit/audit-sequencer.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { RequestContext } from '../../platform/http/request-context.js';
import type { Anchoring } from './audit-anchoring.js';
import { auditRepository as audit } from './audit-repository.js';

/** Signed checkpoints of the chain (docs/audit.md §5), with their anchoring state (§7, §8). */
export interface CheckpointRow {
  organization_id: string;
  seq: string;
  hash: Buffer;
  signed_at_text: string;
  kid: string;
  signature: Buffer;
  tsa_token: Buffer | null;
  tsa_status: 'none' | 'pending' | 'stamped' | 'failed';
  witnessed_at: Date | null;
}

export type AnchoredCheckpoint = Checkpoint & { tsaToken: string | null; tsaStatus: CheckpointRow['tsa_status']; witnessedAt: string | null };

const checkpointJson = (r: CheckpointRow): AnchoredCheckpoint => ({
  organizationId: r.organization_id,
  seq: Number(r.seq),
  hash: r.hash.toString('hex'),
  signedAt: r.signed_at_text,
  kid: r.kid,
  signature: r.signature.toString('base64url'),
  tsaToken: r.tsa_token?.toString('base64') ?? null,
  tsaStatus: r.tsa_status,
  witnessedAt: r.witnessed_at?.toISOString() ?? null,
});

const CHECKPOINT_COLUMNS = `organization_id, seq, hash, to_char(signed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as signed_at_text, kid, signature,
  tsa_token, tsa_status, witnessed_at`;

export function createCheckpointSigner(deps: {
  db: Database;
  checkpointKeys?: SigningKeys | undefined;
  sequencer?: AuditSequencer | undefined;
  anchoring?: Anchoring | undefined;
  logger?: Pick<Logger, 'warn'> | undefined;
}) {
  const { db } = deps;
  async function checkpointsOf(tx: Tx, seq?: number): Promise<AnchoredCheckpoint[]> {
    const { rows } = await tx.query<CheckpointRow>(
      `select ${CHECKPOINT_COLUMNS} from audit_checkpoints where organization_id = $1 and ($2::bigint is null or seq = $2) order by seq`,
      [orgOf(tx), seq ?? null],
    );
    return rows.map(checkpointJson);
  }

  async function publicKeys(): Promise<Jwks> {
    const { rows } = await db.query<{ public_jwk: Record<string, unknown> }>('select public_jwk from aim_audit_checkpoint_keys()');
    return { keys: rows.map((r) => r.public_jwk) };
  }

  /**
   * Sign the head of an organization's chain (drained first), once per position, then anchor it (the
   * witness, the time-stamp: their failures are recorded on the checkpoint and retried, never thrown).
   * `onlyIfGrown`: nothing (null) unless the chain grew past the last checkpoint by more than
   * checkpoint events. One instance at a time per organization (an advisory lock), so instances that
   * all hear the same growth sign it once.
   */
  async function signHead(ctx: RequestContext, organizationId: string, options: { onlyIfGrown?: boolean } = {}): Promise<AnchoredCheckpoint | null> {
    if (!deps.checkpointKeys) throw new Error('no checkpoint keys configured');
    const key = await deps.checkpointKeys.current();
    await deps.sequencer?.drain(organizationId);
    const anchoring = deps.anchoring?.initialState() ?? { tsaStatus: 'none', stamp: false, publish: false, sweepAfterSeconds: 0 };
    const signed = await db.transaction({ organizationId }, async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('aim.audit_checkpoint.' || $1))`, [organizationId]);
      const head = await audit.head(tx);
      if (head.seq === 0) {
        if (options.onlyIfGrown) return null;
        throw new AppError('conflict', 'The audit log is empty; there is nothing to sign yet.');
      }
      const { rows: existing } = await tx.query<CheckpointRow>(
        `select ${CHECKPOINT_COLUMNS} from audit_checkpoints where organization_id = $1 and seq = $2`,
        [orgOf(tx), head.seq],
      );
      if (existing[0]) return options.onlyIfGrown ? null : { checkpoint: checkpointJson(existing[0]), created: false };
      if (options.onlyIfGrown) {
        const { rows: grown } = await tx.query(
          `select 1 from audit_events where organization_id = $1 and seq > coalesce((select max(seq) from audit_checkpoints where organization_id = $1), 0)
              and seq <= $2 and action <> 'audit.checkpoint' limit 1`,
          [orgOf(tx), head.seq],
        );
        if (grown.length === 0) return null;
      }
      const { rows: now } = await tx.query<{ t: string }>(`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t`);
      const payload = { organizationId, seq: head.seq, hash: head.hash.toString('hex'), signedAt: now[0]!.t };
      const signature = sign(null, checkpointMessage(payload), key.privateKey);
      await tx.query(
        `insert into audit_checkpoints (organization_id, seq, hash, signed_at, kid, signature, tsa_status, tsa_next_attempt_at, witness_next_attempt_at)
         values ($1, $2, $3, $4, $5, $6, $7, case when $8 then now() + make_interval(secs => $10) end, case when $9 then now() + make_interval(secs => $10) end)`,
        [organizationId, head.seq, head.hash, payload.signedAt, key.kid, signature, anchoring.tsaStatus, anchoring.stamp, anchoring.publish, anchoring.sweepAfterSeconds],
      );
      await recordAuditEvent(tx, ctx, { action: 'audit.checkpoint', details: { seq: head.seq, kid: key.kid } });
      const checkpoint: AnchoredCheckpoint = {
        ...payload,
        kid: key.kid,
        signature: signature.toString('base64url'),
        tsaToken: null,
        tsaStatus: anchoring.tsaStatus as AnchoredCheckpoint['tsaStatus'],
        witnessedAt: null,
      };
      return { checkpoint, created: true };
    });
    if (!signed) return null;
    if (!signed.created || !deps.anchoring?.enabled) return signed.checkpoint;
    try {
      await deps.anchoring.anchor(organizationId, signed.checkpoint.seq, { justMade: true });
    } catch (error) {
      // The checkpoint stands; its anchoring is retried by the anchoring worker.
      deps.logger?.warn({ err: error, organizationId, seq: signed.checkpoint.seq }, 'could not anchor an audit checkpoint yet');
    }
    return (await db.transaction({ organizationId }, (tx) => checkpointsOf(tx, signed.checkpoint.seq)))[0] ?? signed.checkpoint;
  }

  return { checkpointsOf, publicKeys, signHead };
}
