import type { AccessCache } from '../../platform/auth/access-cache.js';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Database } from '../../platform/db/database.js';
import { notFound } from '../../platform/http/app-error.js';
import type { createOrganizationSchema, updateOrganizationSchema } from '@aim/contracts';
import type { z } from 'zod';
import { newId } from '../../platform/ids.js';
import type { OrgContext, UserContext } from '../../platform/http/operation.js';
import { membershipRepository as memberships } from '../members/index.js';
import { organizationRepository as organizations, type Organization, type Settings } from './organization-repository.js';

export function createOrganizationService(deps: { db: Database; cache: AccessCache }) {
  const { db, cache } = deps;
  return {
    /** A signed-in person creates an organization and becomes its first admin. */
    async create(ctx: UserContext, input: z.output<typeof createOrganizationSchema>): Promise<Organization> {
      const id = newId('org');
      const organization = await db.transaction({ organizationId: id }, async (tx) => {
        const org = await organizations.insert(tx, input.name);
        await memberships.add(tx, ctx.userId, 'admin');
        await recordAuditEvent(tx, { ...ctx, organizationId: id }, {
          action: 'organization.create',
          target: { type: 'organization', id },
          details: { name: org.name },
        });
        await recordAuditEvent(tx, { ...ctx, organizationId: id }, {
          action: 'member.add',
          target: { type: 'user', id: ctx.userId },
          details: { role: 'admin' },
        });
        return org;
      });
      await cache.forgetMembership(id, ctx.userId);
      return organization;
    },

    async current(ctx: OrgContext): Promise<Organization> {
      const org = await db.transaction({ organizationId: ctx.organizationId }, (tx) => organizations.current(tx));
      if (!org) throw notFound('The organization');
      return org;
    },

    async update(ctx: OrgContext, input: z.output<typeof updateOrganizationSchema>): Promise<Organization> {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        // Locked: concurrent changes apply one after the other, and each records what it really changed.
        const before = await organizations.current(tx, { lock: true });
        if (!before) throw notFound('The organization');
        const next: Settings = {
          name: input.name?.trim() ?? before.name,
          auditRetentionDays: input.auditRetentionDays === undefined ? before.auditRetentionDays : input.auditRetentionDays,
          agentTokenAudiences: input.agentTokenAudiences ?? before.agentTokenAudiences,
          autoApproveLowRiskCapabilities: input.autoApproveLowRiskCapabilities ?? before.autoApproveLowRiskCapabilities,
          approvalTimeoutSeconds: input.approvalTimeoutSeconds ?? before.approvalTimeoutSeconds,
        };
        const details: Record<string, unknown> = {};
        for (const field of Object.keys(next) as (keyof Settings)[]) {
          if (JSON.stringify(next[field]) === JSON.stringify(before[field])) continue;
          // Named without "token": audit details refuse field names that look like secrets.
          details[field === 'agentTokenAudiences' ? 'agentAudiences' : field] = { from: before[field], to: next[field] };
        }
        if (Object.keys(details).length === 0) return before;
        const after = (await organizations.update(tx, next))!;
        await recordAuditEvent(tx, ctx, { action: 'organization.update', target: { type: 'organization', id: after.id }, details });
        return after;
      });
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
