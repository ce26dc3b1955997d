import { chainHash } from '@aim/audit-verify';
import type pg from 'pg';

/**
 * As a superuser (triggers off), recompute every hash of an organization's chain from the stored
 * content and move the head to match: what an intruder with full database access would do after
 * editing events, and what a test does after moving events back in time.
 */
export async function rehashChain(owner: pg.Client, organizationId: string, edit?: (seq: number, details: Record<string, unknown>) => Record<string, unknown>) {
  await owner.query('begin');
  try {
    await owner.query("set local session_replication_role = 'replica'");
    await owner.query('select seq from audit_chain_heads where organization_id = $1 for update', [organizationId]);
    const { rows } = await owner.query(
      `select id, organization_id, seq, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at, actor_type, actor_id, action,
              target_type, target_id, outcome, request_id, host(client_ip) as ip, user_agent, details
         from audit_events where organization_id = $1 and seq is not null order by seq`,
      [organizationId],
    );
    let previous: Buffer = Buffer.alloc(32);
    for (const row of rows) {
      const details = edit ? edit(Number(row.seq), row.details) : row.details;
      const hash = chainHash(previous, {
        id: row.id,
        organizationId: row.organization_id,
        seq: Number(row.seq),
        occurredAt: row.at,
        actor: { type: row.actor_type, id: row.actor_id },
        action: row.action,
        target: row.target_type ? { type: row.target_type, id: row.target_id } : null,
        outcome: row.outcome,
        requestId: row.request_id,
        clientIp: row.ip,
        userAgent: row.user_agent,
        details,
      });
      await owner.query('update audit_events set details = $2, hash = $3 where id = $1', [row.id, details, hash]);
      previous = hash;
    }
    await owner.query('update audit_chain_heads set hash = $2 where organization_id = $1', [organizationId, previous]);
    await owner.query('commit');
  } catch (error) {
    await owner.query('rollback');
    throw error;
  }
}
