import { mcpSettingsSchema, type McpSettings, type updateMcpSettingsSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { orgOf, type Database } from '../../../platform/db/database.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import { loadMcpSettings } from '../shared/mcp-settings-store.js';
import { approvalRepository } from './approval-repository.js';

/**
 * The organization's MCP settings (docs/mcp.md, "settings"): whether drifted tools are blocked in
 * decisions, and how often servers are scanned. A change commits with its audit event and with what
 * it implies: turning blocking on blocks every drifted pin at once, turning it off unblocks them.
 */
export type UpdateMcpSettings = z.output<typeof updateMcpSettingsSchema>;

export function createMcpSettingsService(deps: { db: Database }) {
  const { db } = deps;
  const envelope = (settings: McpSettings, updatedAt: Date | null) => ({ settings, updatedAt: updatedAt?.toISOString() ?? null });

  return {
    async get(ctx: OrgContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { settings, updatedAt } = await loadMcpSettings(tx);
        return envelope(settings, updatedAt);
      });
    },

    /** Partial: what the body names replaces the current value; a body that changes nothing writes and audits nothing. */
    async update(ctx: OrgContext, input: UpdateMcpSettings) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`aim.mcp-settings:${orgOf(tx)}`]);
        const current = await loadMcpSettings(tx);
        const next = mcpSettingsSchema.parse({ ...current.settings, ...input });
        const changed = (Object.keys(input) as (keyof McpSettings)[]).filter((key) => next[key] !== current.settings[key]);
        if (changed.length === 0) return envelope(current.settings, current.updatedAt);
        const { rows } = await tx.query<{ updated_at: Date }>(
          `insert into mcp_settings (organization_id, settings, updated_by_type, updated_by_id, updated_at) values ($1, $2, $3, $4, now())
           on conflict (organization_id) do update set settings = excluded.settings, updated_by_type = excluded.updated_by_type,
             updated_by_id = excluded.updated_by_id, updated_at = excluded.updated_at
           returning updated_at`,
          [orgOf(tx), JSON.stringify(next), ctx.actor.type, ctx.actor.id],
        );
        const pins = changed.includes('blockDriftedTools') ? await approvalRepository.setDriftedBlocked(tx, next.blockDriftedTools) : 0;
        await recordAuditEvent(tx, ctx, {
          action: 'mcp_settings.update',
          target: { type: 'mcp_settings', id: orgOf(tx) },
          details: {
            changed,
            before: Object.fromEntries(changed.map((key) => [key, current.settings[key]])),
            after: Object.fromEntries(changed.map((key) => [key, next[key]])),
            ...(changed.includes('blockDriftedTools') ? { pinsChanged: pins } : {}),
          },
        });
        return envelope(next, rows[0]!.updated_at);
      });
    },
  };
}

export type McpSettingsService = ReturnType<typeof createMcpSettingsService>;
