import type { Role } from '@aim/contracts';
import type { z } from 'zod';
import type { accessReviewScopeSchema } from '@aim/contracts';
import { orgOf, type Tx } from '../../platform/db/database.js';

/**
 * A campaign's items, computed when it is created from the current rows (one statement per scope:
 * a consistent snapshot), and each one's reviewer (docs/access-reviews.md §2). These reads join the
 * agents, capabilities, capability_grants, api_keys and memberships tables (ARCHITECTURE.md "Boundaries").
 */
export type Scope = z.output<typeof accessReviewScopeSchema>;
export type SubjectType = 'agent' | 'grant' | 'api_key';
export type ReviewerReason = 'owner' | 'manager' | 'creator' | 'self';

export interface Snapshot {
  name: string;
  ownerUserId: string | null;
  riskLevel: 'low' | 'medium' | 'high' | 'critical' | null;
  lastUsedAt: string | null;
  status: string | null;
  agentId: string | null;
  capability: string | null;
  resourcePattern: string | null;
  expiresAt: string | null;
  grants: { capability: string; riskLevel: 'low' | 'medium' | 'high' | 'critical'; resourcePattern: string | null; expiresAt: string | null }[];
}

export interface Subject {
  subjectType: SubjectType;
  subjectId: string;
  /** The person whose own access this is (an API key's creator); null for agents and grants. */
  subjectPersonId: string | null;
  /** Who answers for it: the agent's owner (agents, grants); null for API keys (their creator's own access). */
  ownerId: string | null;
  snapshot: Snapshot;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const RISK_ORDER = ['low', 'medium', 'high', 'critical'] as const;

/** The agents of the scope (not revoked), each with its unrevoked, unexpired grants. */
async function agentSubjects(tx: Tx, ownerUserId: string | null): Promise<Subject[]> {
  const { rows } = await tx.query<{ id: string; name: string; owner_id: string | null; status: string; last_seen_at: Date | null; grants: Snapshot['grants'] }>(
    `select a.id, a.name, a.owner_id, a.status, a.last_seen_at,
            coalesce((select jsonb_agg(jsonb_build_object('capability', c.name, 'riskLevel', c.risk_level,
                                                          'resourcePattern', g.resource_pattern, 'expiresAt', g.expires_at) order by c.name)
                        from capability_grants g join capabilities c on c.id = g.capability_id
                       where g.organization_id = a.organization_id and g.agent_id = a.id and g.revoked_at is null
                         and (g.expires_at is null or g.expires_at > now())), '[]'::jsonb) as grants
       from agents a
      where a.organization_id = $1 and a.status <> 'revoked' and ($2::text is null or a.owner_id = $2::text)
      order by a.name, a.id`,
    [orgOf(tx), ownerUserId],
  );
  return rows.map((r) => {
    const top = r.grants.reduce<number>((max, g) => Math.max(max, RISK_ORDER.indexOf(g.riskLevel)), -1);
    return {
      subjectType: 'agent',
      subjectId: r.id,
      subjectPersonId: null,
      ownerId: r.owner_id,
      snapshot: {
        name: r.name,
        ownerUserId: r.owner_id,
        riskLevel: top < 0 ? null : RISK_ORDER[top]!,
        lastUsedAt: iso(r.last_seen_at),
        status: r.status,
        agentId: r.id,
        capability: null,
        resourcePattern: null,
        expiresAt: null,
        grants: r.grants.map((g) => ({ ...g, expiresAt: g.expiresAt ? new Date(g.expiresAt).toISOString() : null })),
      },
    };
  });
}

/** Unrevoked, unexpired grants of high or critical capabilities, of agents that are not revoked. */
async function highRiskGrantSubjects(tx: Tx): Promise<Subject[]> {
  const { rows } = await tx.query<{
    id: string; agent_id: string; agent_name: string; owner_id: string | null; status: string; last_seen_at: Date | null;
    capability: string; risk_level: 'high' | 'critical'; resource_pattern: string | null; expires_at: Date | null;
  }>(
    `select g.id, a.id as agent_id, a.name as agent_name, a.owner_id, a.status, a.last_seen_at,
            c.name as capability, c.risk_level, g.resource_pattern, g.expires_at
       from capability_grants g
       join capabilities c on c.id = g.capability_id and c.organization_id = g.organization_id
       join agents a on a.id = g.agent_id and a.organization_id = g.organization_id
      where g.organization_id = $1 and g.revoked_at is null and (g.expires_at is null or g.expires_at > now())
        and c.risk_level in ('high', 'critical') and a.status <> 'revoked'
      order by a.name, c.name, g.id`,
    [orgOf(tx)],
  );
  return rows.map((r) => ({
    subjectType: 'grant',
    subjectId: r.id,
    subjectPersonId: null,
    ownerId: r.owner_id,
    snapshot: {
      name: `${r.capability} on ${r.agent_name}`,
      ownerUserId: r.owner_id,
      riskLevel: r.risk_level,
      lastUsedAt: iso(r.last_seen_at),
      status: r.status,
      agentId: r.agent_id,
      capability: r.capability,
      resourcePattern: r.resource_pattern,
      expiresAt: iso(r.expires_at),
      grants: [],
    },
  }));
}

/** API keys that are neither revoked nor expired. A key is its creator's own access. */
async function apiKeySubjects(tx: Tx): Promise<Subject[]> {
  const { rows } = await tx.query<{ id: string; name: string; prefix: string; role: Role; created_by: string; last_used_at: Date | null; expires_at: Date | null }>(
    `select id, name, prefix, role, created_by, last_used_at, expires_at from api_keys
      where organization_id = $1 and revoked_at is null and (expires_at is null or expires_at > now())
      order by created_at, id`,
    [orgOf(tx)],
  );
  return rows.map((r) => ({
    subjectType: 'api_key',
    subjectId: r.id,
    subjectPersonId: r.created_by,
    ownerId: null,
    snapshot: {
      name: `${r.name} (${r.prefix}…)`,
      ownerUserId: r.created_by,
      riskLevel: null,
      lastUsedAt: iso(r.last_used_at),
      status: r.role,
      agentId: null,
      capability: null,
      resourcePattern: null,
      expiresAt: iso(r.expires_at),
      grants: [],
    },
  }));
}

export function subjectsOf(tx: Tx, scope: Scope): Promise<Subject[]> {
  switch (scope.kind) {
    case 'all_agents':
      return agentSubjects(tx, null);
    case 'owner_agents':
      return agentSubjects(tx, scope.ownerUserId);
    case 'high_risk_grants':
      return highRiskGrantSubjects(tx);
    case 'api_keys':
      return apiKeySubjects(tx);
  }
}

/** The organization's people who may review (members, managers, admins), with their roles. */
export async function reviewersOf(tx: Tx): Promise<Map<string, Role>> {
  const { rows } = await tx.query<{ user_id: string; role: Role }>(
    `select m.user_id, m.role from memberships m join users u on u.id = m.user_id
      where m.organization_id = $1 and m.role in ('admin', 'manager', 'member') and u.status = 'active'`,
    [orgOf(tx)],
  );
  return new Map(rows.map((r) => [r.user_id, r.role]));
}

/**
 * Who reviews each subject: its owner when they may still review (a member, manager or admin of the
 * organization); otherwise — the owner is gone, or the subject is someone's own access (an API key) — a
 * manager or admin other than the subject's person, the one with the fewest items so far (then by id),
 * and the campaign's creator only when no other manager or admin exists; when nobody but the subject's
 * person remains, they review it themselves (reason `self`, shown in the report).
 */
export function assignReviewers(subjects: Subject[], reviewers: Map<string, Role>, creatorId: string): { subject: Subject; reviewer: string; reason: ReviewerReason }[] {
  const load = new Map<string, number>();
  const take = (id: string) => load.set(id, (load.get(id) ?? 0) + 1);
  const managers = [...reviewers].filter(([, role]) => role === 'admin' || role === 'manager').map(([id]) => id).sort();
  return subjects.map((subject) => {
    if (subject.ownerId && reviewers.has(subject.ownerId)) {
      take(subject.ownerId);
      return { subject, reviewer: subject.ownerId, reason: 'owner' as const };
    }
    const others = managers.filter((id) => id !== subject.subjectPersonId && id !== creatorId);
    if (others.length > 0) {
      const chosen = others.reduce((best, id) => ((load.get(id) ?? 0) < (load.get(best) ?? 0) ? id : best));
      take(chosen);
      return { subject, reviewer: chosen, reason: 'manager' as const };
    }
    if (creatorId !== subject.subjectPersonId) {
      take(creatorId);
      return { subject, reviewer: creatorId, reason: 'creator' as const };
    }
    take(creatorId);
    return { subject, reviewer: creatorId, reason: 'self' as const };
  });
}
