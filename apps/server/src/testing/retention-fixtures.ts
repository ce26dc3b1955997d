import type pg from 'pg';
import { newId } from '../platform/ids.js';

/**
 * Rows of the past for retention tests, written as the database owner (time has passed): the month
 * partition they fall in (the partition job creates months ahead only), decisions and violations.
 */
export async function monthPartition(owner: pg.Client, table: string, at: Date): Promise<string> {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  const name = `${table}_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
  await owner.query(`create table if not exists ${name} partition of ${table} for values from ('${start.toISOString()}') to ('${end.toISOString()}')`);
  await owner.query(`alter table ${name} enable row level security`);
  return name;
}

export async function insertDecision(
  owner: pg.Client,
  organizationId: string,
  agentId: string,
  at: Date,
  status: 'allowed' | 'denied' | 'pending' | 'expired' = 'allowed',
): Promise<string> {
  await monthPartition(owner, 'verification_events', at);
  const id = newId('dec', at.getTime());
  const pending = status === 'pending' || status === 'expired';
  await owner.query(
    `insert into verification_events (id, organization_id, agent_id, authenticated_by, action, initial_decision, decision, status, reasons, policy_revision, created_at, expires_at)
     values ($1, $2, $3, 'signature', 'reports:read', $4, $5, $6, '[]', 1, $7, $8)`,
    [
      id,
      organizationId,
      agentId,
      pending ? 'pending' : status === 'allowed' ? 'allow' : 'deny',
      status === 'pending' ? 'pending' : status === 'allowed' ? 'allow' : 'deny',
      status,
      at,
      pending ? new Date(Date.now() + 3_600_000) : null,
    ],
  );
  return id;
}

export async function insertViolation(owner: pg.Client, organizationId: string, agentId: string, decisionId: string, at: Date): Promise<string> {
  const id = newId('vio', at.getTime());
  await owner.query(
    `insert into violations (id, organization_id, agent_id, decision_id, rule, action, severity, created_at) values ($1, $2, $3, $4, 'deny_rule', 'reports:read', 'high', $5)`,
    [id, organizationId, agentId, decisionId, at],
  );
  return id;
}

export async function rowExists(owner: pg.Client, table: string, id: string): Promise<boolean> {
  const { rows } = await owner.query(`select 1 from ${table} where id = $1`, [id]);
  return rows.length > 0;
}
