import { mergeMonitoringSettings, monitoringSettingsSchema, type MonitoringSettings, type MonitoringSettingsUpdate } from '@aim/contracts';
import { recordAuditEvent } from '../../../platform/audit/audit-log.js';
import { orgOf, type Database } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/http/app-error.js';
import type { OrgContext } from '../../../platform/http/operation.js';
import { loadMonitoringSettings } from './settings-store.js';

/**
 * An organization's monitoring settings (docs/monitoring.md, "settings"): read whole (the stored
 * document over the defaults), and changed by merging an update over the current settings. The whole
 * result is validated, stored, and audited with the fields that changed, before and after.
 */
type Leaf = string | number | boolean | null;

/** Every leaf of a settings document by its dotted path (`detectors.rate_anomaly.params.madMultiplier`). */
function leaves(value: unknown, path = '', out = new Map<string, Leaf>()): Map<string, Leaf> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) leaves(v, path ? `${path}.${key}` : key, out);
  } else {
    out.set(path, value as Leaf);
  }
  return out;
}

/** The fields whose value differs, with their values before and after. */
export function settingsChanges(before: MonitoringSettings, after: MonitoringSettings): Record<string, { from: Leaf; to: Leaf }> {
  const was = leaves(before);
  const changes: Record<string, { from: Leaf; to: Leaf }> = {};
  for (const [path, to] of leaves(after)) {
    const from = was.get(path) ?? null;
    if (from !== to) changes[path] = { from, to };
  }
  return changes;
}

const envelope = (settings: MonitoringSettings, updatedAt: Date | null) => ({ settings, updatedAt: updatedAt?.toISOString() ?? null });

export function createMonitoringSettingsService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async get(ctx: OrgContext) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { settings, updatedAt } = await loadMonitoringSettings(tx);
        return envelope(settings, updatedAt);
      });
    },

    /** An update that changes nothing stores and audits nothing, and answers the current settings. */
    async update(ctx: OrgContext, update: MonitoringSettingsUpdate) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        // Two updates at once must not both merge over the same settings and lose one's change.
        await tx.query(`select pg_advisory_xact_lock(hashtext('monitoring_settings:' || $1))`, [orgOf(tx)]);
        const current = await loadMonitoringSettings(tx);
        const checked = monitoringSettingsSchema.safeParse(mergeMonitoringSettings(current.settings, update));
        if (!checked.success) {
          const issue = checked.error.issues[0]!;
          throw new AppError('validation_failed', `The request is invalid. body.${issue.path.join('.')}: ${issue.message}`);
        }
        const changes = settingsChanges(current.settings, checked.data);
        if (Object.keys(changes).length === 0) return envelope(current.settings, current.updatedAt);
        const by = ctx.actor.type === 'api_key' ? 'api_key' : 'user';
        const { rows } = await tx.query<{ updated_at: Date }>(
          `insert into monitoring_settings (organization_id, settings, updated_by_type, updated_by_id) values ($1, $2, $3, $4)
           on conflict (organization_id) do update set settings = excluded.settings, updated_by_type = excluded.updated_by_type,
             updated_by_id = excluded.updated_by_id, updated_at = now()
           returning updated_at`,
          [orgOf(tx), JSON.stringify(checked.data), by, ctx.actor.id ?? 'unknown'],
        );
        // Its own target type, so the live stream names `monitoring_settings` as what changed.
        await recordAuditEvent(tx, ctx, { action: 'monitoring.settings_updated', target: { type: 'monitoring_settings', id: orgOf(tx) }, details: { changes } });
        return envelope(checked.data, rows[0]!.updated_at);
      });
    },
  };
}

export type MonitoringSettingsService = ReturnType<typeof createMonitoringSettingsService>;
