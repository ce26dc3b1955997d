import type { AgentJson, AgentStatus, DataClassification, TrustTier } from '@aim/contracts';
import { publicJwk } from '../../platform/crypto/ed25519.js';
import { orgOf, type Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { Actor } from '../../platform/http/request-context.js';

/** Agents, their keys and status history, in the transaction's organization. */
export interface AgentRow {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  purpose: string | null;
  owner_id: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  status: AgentStatus;
  trust_score: string | null;
  trust_tier: TrustTier;
  trust_confidence: string | null;
  trust_computed_at: Date | null;
  data_classification: DataClassification | null;
  requested_capabilities: string[];
  enrollment_token_id: string | null;
  created_by_type: string;
  created_by_id: string;
  created_at: Date;
  updated_at: Date;
  status_changed_at: Date;
  last_seen_at: Date | null;
}

export interface AgentKeyRow {
  id: string;
  agent_id: string;
  public_key: Buffer;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export type AgentSummaryJson = Omit<AgentJson, 'keys'>;

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function keyStatus(key: AgentKeyRow, now = Date.now()): 'active' | 'rotating_out' | 'expired' | 'revoked' {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at) return key.expires_at.getTime() <= now ? 'expired' : 'rotating_out';
  return 'active';
}

export const agentSummaryJson = (row: AgentRow): AgentSummaryJson => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  description: row.description,
  purpose: row.purpose,
  ownerId: row.owner_id,
  tags: row.tags,
  metadata: row.metadata,
  status: row.status,
  trustTier: row.trust_tier,
  trustScore: row.trust_score === null ? null : Number(row.trust_score),
  trustConfidence: row.trust_confidence === null ? null : Number(row.trust_confidence),
  trustComputedAt: iso(row.trust_computed_at),
  dataClassification: row.data_classification,
  requestedCapabilities: row.requested_capabilities,
  enrolledWith: row.enrollment_token_id,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  statusChangedAt: row.status_changed_at.toISOString(),
  lastSeenAt: iso(row.last_seen_at),
});

export const agentJson = (row: AgentRow, keys: AgentKeyRow[]): AgentJson => ({
  ...agentSummaryJson(row),
  keys: keys.map((k) => ({
    id: k.id,
    publicKey: publicJwk(k.public_key),
    status: keyStatus(k),
    createdAt: k.created_at.toISOString(),
    expiresAt: iso(k.expires_at),
    revokedAt: iso(k.revoked_at),
    lastUsedAt: iso(k.last_used_at),
  })),
});

/** Unique violations of agent writes, as the errors a client can act on. */
function translateConflict(error: unknown): never {
  const e = error as { code?: string; constraint?: string };
  if (e.code === '23505' && (e.constraint === 'agent_keys_pkey' || e.constraint === 'agent_keys_public_key_key')) {
    throw new AppError('key_already_registered', 'This public key is already registered to an agent; generate a new key pair for each agent.');
  }
  if (e.code === '23505' && e.constraint === 'agents_org_name') {
    throw new AppError('conflict', 'An agent with this name already exists in the organization; choose another name.');
  }
  throw error;
}

export interface NewAgent {
  id: string;
  name: string;
  description?: string | undefined;
  purpose?: string | undefined;
  dataClassification?: DataClassification | undefined;
  ownerId: string | null;
  tags?: string[] | undefined;
  metadata?: Record<string, unknown> | undefined;
  requestedCapabilities?: string[];
  enrollmentTokenId?: string | null;
  createdBy: Actor;
}

export const agentRepository = {
  async insert(tx: Tx, agent: NewAgent, key: { id: string; raw: Buffer }): Promise<{ agent: AgentRow; key: AgentKeyRow }> {
    try {
      const { rows } = await tx.query<AgentRow>(
        `insert into agents (id, organization_id, name, description, purpose, owner_id, tags, metadata, requested_capabilities,
                             enrollment_token_id, created_by_type, created_by_id, data_classification)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning *`,
        [
          agent.id,
          orgOf(tx),
          agent.name.trim(),
          agent.description ?? null,
          agent.purpose ?? null,
          agent.ownerId,
          agent.tags ?? [],
          agent.metadata ?? {},
          agent.requestedCapabilities ?? [],
          agent.enrollmentTokenId ?? null,
          agent.createdBy.type,
          agent.createdBy.id,
          agent.dataClassification ?? null,
        ],
      );
      const keyRow = await agentRepository.insertKey(tx, agent.id, key);
      await agentRepository.recordStatus(tx, agent.id, null, 'active', null, agent.createdBy);
      return { agent: rows[0]!, key: keyRow };
    } catch (error) {
      translateConflict(error);
    }
  },

  async insertKey(tx: Tx, agentId: string, key: { id: string; raw: Buffer }): Promise<AgentKeyRow> {
    try {
      const { rows } = await tx.query<AgentKeyRow>(
        `insert into agent_keys (id, organization_id, agent_id, public_key) values ($1, $2, $3, $4) returning *`,
        [key.id, orgOf(tx), agentId, key.raw],
      );
      return rows[0]!;
    } catch (error) {
      translateConflict(error);
    }
  },

  async find(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<AgentRow | null> {
    const { rows } = await tx.query<AgentRow>(
      `select * from agents where organization_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
      [orgOf(tx), id],
    );
    return rows[0] ?? null;
  },

  async keys(tx: Tx, agentId: string): Promise<AgentKeyRow[]> {
    const { rows } = await tx.query<AgentKeyRow>(
      'select * from agent_keys where organization_id = $1 and agent_id = $2 order by created_at desc, id',
      [orgOf(tx), agentId],
    );
    return rows;
  },

  async update(tx: Tx, id: string, changes: Record<string, unknown>): Promise<AgentRow> {
    const columns = Object.keys(changes);
    const assignments = columns.map((column, i) => `${column} = $${i + 3}`).join(', ');
    try {
      const { rows } = await tx.query<AgentRow>(
        `update agents set ${assignments}, updated_at = now() where organization_id = $1 and id = $2 returning *`,
        [orgOf(tx), id, ...columns.map((c) => changes[c])],
      );
      return rows[0]!;
    } catch (error) {
      translateConflict(error);
    }
  },

  async setStatus(tx: Tx, agent: AgentRow, to: AgentStatus, reason: string | null, actor: Actor): Promise<AgentRow> {
    const { rows } = await tx.query<AgentRow>(
      `update agents set status = $3, status_changed_at = now(), updated_at = now() where organization_id = $1 and id = $2 returning *`,
      [orgOf(tx), agent.id, to],
    );
    await agentRepository.recordStatus(tx, agent.id, agent.status, to, reason, actor);
    return rows[0]!;
  },

  async recordStatus(tx: Tx, agentId: string, from: AgentStatus | null, to: AgentStatus, reason: string | null, actor: Actor): Promise<void> {
    await tx.query(
      `insert into agent_status_changes (organization_id, agent_id, from_status, to_status, reason, actor_type, actor_id)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [orgOf(tx), agentId, from, to, reason, actor.type, actor.id],
    );
  },

  async statusHistory(tx: Tx, agentId: string, limit = 50) {
    const { rows } = await tx.query<{
      from_status: AgentStatus | null;
      to_status: AgentStatus;
      reason: string | null;
      actor_type: 'user' | 'agent' | 'api_key' | 'system';
      actor_id: string | null;
      changed_at: Date;
    }>(
      `select from_status, to_status, reason, actor_type, actor_id, changed_at from agent_status_changes
        where organization_id = $1 and agent_id = $2 order by id desc limit $3`,
      [orgOf(tx), agentId, limit],
    );
    return rows.map((r) => ({
      from: r.from_status,
      to: r.to_status,
      reason: r.reason,
      actorType: r.actor_type,
      actorId: r.actor_id,
      at: r.changed_at.toISOString(),
    }));
  },

  /** The agent's latest audit events: what it did, and what was done to it. */
  async recentActivity(tx: Tx, agentId: string, limit = 20) {
    const { rows } = await tx.query<{ id: string; action: string; actor_type: string; actor_id: string | null; occurred_at: Date }>(
      `(select id, action, actor_type, actor_id, occurred_at from audit_events
         where organization_id = $1 and target_type = 'agent' and target_id = $2 order by occurred_at desc, id desc limit $3)
       union
       (select id, action, actor_type, actor_id, occurred_at from audit_events
         where organization_id = $1 and actor_type = 'agent' and actor_id = $2 order by occurred_at desc, id desc limit $3)
       order by occurred_at desc, id desc limit $3`,
      [orgOf(tx), agentId, limit],
    );
    return rows.map((r) => ({ id: r.id, action: r.action, actorType: r.actor_type, actorId: r.actor_id, occurredAt: r.occurred_at.toISOString() }));
  },

  async list(
    tx: Tx,
    filter: { status?: AgentStatus | undefined; ownerId?: string | undefined; tag?: string | undefined; trustTier?: TrustTier | undefined; q?: string | undefined; ids?: string | undefined; cursor?: string | undefined; limit: number },
  ): Promise<{ rows: AgentRow[]; nextCursor: string | null }> {
    const pattern = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const { rows } = await tx.query<AgentRow>(
      `select * from agents
        where organization_id = $1
          and ($2::text is null or status = $2)
          and ($3::text is null or owner_id = $3)
          and ($4::text is null or tags @> array[$4::text])
          and ($5::text is null or trust_tier = $5)
          and ($6::text is null or name ilike $6 or description ilike $6 or purpose ilike $6)
          and ($7::text is null or id < $7)
          and ($9::text[] is null or id = any($9))
        order by id desc limit $8`,
      [
        orgOf(tx),
        filter.status ?? null,
        filter.ownerId ?? null,
        filter.tag ?? null,
        filter.trustTier ?? null,
        pattern,
        filter.cursor ?? null,
        filter.limit + 1,
        filter.ids ? filter.ids.split(',') : null,
      ],
    );
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },
};
