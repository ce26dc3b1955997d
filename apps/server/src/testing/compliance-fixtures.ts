import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { newId, type IdPrefix } from '../platform/ids.js';
import { CHECKS_BY_ID } from '../modules/compliance/catalogue/frameworks.js';
import type { CheckResult, Period } from '../modules/compliance/catalogue/check-types.js';
import { createChainVerifier } from '../modules/compliance/chain-verification.js';
import { readSettings } from '../modules/compliance/compliance-settings.js';
import type { TestApp } from './test-app.js';

/** Evidence rows written as the database owner (as the features that own them would), for the compliance checks. */
export const id = (prefix: string) => newId(prefix as IdPrefix);
export const ago = (ms: number) => new Date(Date.now() - ms);
export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** One check over a period, exactly as a report runs it (the chain walked first). */
export async function runCheck(t: TestApp, organizationId: string, checkId: string, period: Period): Promise<CheckResult> {
  const chain = await createChainVerifier({ db: t.platform.db, drain: (o) => t.platform.auditSequencer.drain(o) }).verifyPeriod(organizationId, period);
  return t.platform.db.transaction({ organizationId }, async (tx) => {
    const { settings } = await readSettings(tx);
    return CHECKS_BY_ID.get(checkId)!.run({
      tx,
      period,
      chain,
      checkpointKeys: async () => ({ keys: (await t.platform.db.query<{ public_jwk: Record<string, unknown> }>('select public_jwk from aim_audit_checkpoint_keys()')).rows.map((r) => r.public_jwk) }),
      settings: { ...settings, signingKeyMaxAgeDays: { session: 30, agent_token: 7, audit_checkpoint: 365 } },
    });
  });
}

export async function insertAgent(owner: pg.Client, organizationId: string, ownerId: string | null, createdAt = ago(DAY)): Promise<string> {
  const agentId = id('agt');
  await owner.query(
    `insert into agents (id, organization_id, name, owner_id, created_by_type, created_by_id, created_at) values ($1, $2, $3, $4, 'user', 'usr_x', $5)`,
    [agentId, organizationId, `agent ${agentId.slice(-6)}`, ownerId, createdAt],
  );
  return agentId;
}

export async function insertAgentKey(owner: pg.Client, organizationId: string, agentId: string, createdAt: Date): Promise<string> {
  const keyId = randomBytes(32).toString('base64url').slice(0, 43);
  await owner.query('insert into agent_keys (id, organization_id, agent_id, public_key, created_at) values ($1, $2, $3, $4, $5)', [
    keyId, organizationId, agentId, randomBytes(32), createdAt,
  ]);
  return keyId;
}

/** An audit event inserted unchained (the sequencer chains it), at the database clock. */
export async function insertAuditEvent(owner: pg.Client, organizationId: string, action: string, target: { type: string; id: string } | null) {
  await owner.query(
    `insert into audit_events (id, organization_id, actor_type, actor_id, action, target_type, target_id, outcome, details) values ($1, $2, 'system', null, $3, $4, $5, 'success', '{}')`,
    [id('evt'), organizationId, action, target?.type ?? null, target?.id ?? null],
  );
}

export async function insertDecision(owner: pg.Client, organizationId: string, agentId: string, risk: string, initial: 'allow' | 'deny' | 'pending', recorded: boolean): Promise<string> {
  const decisionId = id('dec');
  const status = initial === 'allow' ? 'allowed' : initial === 'deny' ? 'denied' : 'approved';
  await owner.query(
    `insert into verification_events (id, organization_id, agent_id, authenticated_by, action, initial_decision, decision, status, reasons, policy_revision, risk, created_at, expires_at, resolved_at, resolved_by_type)
     values ($1, $2, $3, 'signature', 'files:read', $4, $5, $6, '[]', 0, $7, now(), now() + interval '1 hour', $8, $9)`,
    [decisionId, organizationId, agentId, initial, initial === 'pending' ? 'allow' : initial, status, risk, initial === 'pending' ? new Date() : null, initial === 'pending' ? 'user' : null],
  );
  if (recorded) await insertAuditEvent(owner, organizationId, `decision.${initial}`, { type: 'decision', id: decisionId });
  return decisionId;
}

/** As an intruder with owner access would: change a stored event without re-hashing (triggers off). */
export async function tamperEvent(owner: pg.Client, organizationId: string, seq: number): Promise<void> {
  await owner.query('begin');
  await owner.query("set local session_replication_role = 'replica'");
  await owner.query(`update audit_events set details = '{"tampered": true}' where organization_id = $1 and seq = $2`, [organizationId, seq]);
  await owner.query('commit');
}
