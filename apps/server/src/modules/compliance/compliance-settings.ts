import type { complianceSettingsSchema, updateComplianceSettingsSchema } from '@aim/contracts';
import type { z } from 'zod';
import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { orgOf, type Database, type Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import { FRAMEWORKS_BY_ID } from './catalogue/frameworks.js';

export type ComplianceSettings = z.output<typeof complianceSettingsSchema>;

export const DEFAULT_SETTINGS: ComplianceSettings = {
  monthlyFrameworks: [],
  accessReviewDays: 90,
  agentKeyMaxAgeDays: 90,
  alertAckMinutes: { critical: 60, high: 240, medium: 1440, low: 4320 },
};

interface Row {
  monthly_frameworks: string[];
  access_review_days: number;
  agent_key_max_age_days: number;
  alert_ack_minutes: Partial<ComplianceSettings['alertAckMinutes']>;
  updated_at: Date;
}

/** The organization's settings over the defaults, and when they last changed (null: never). */
export async function readSettings(tx: Tx): Promise<{ settings: ComplianceSettings; updatedAt: Date | null }> {
  const { rows } = await tx.query<Row>('select * from compliance_settings where organization_id = $1', [orgOf(tx)]);
  const row = rows[0];
  if (!row) return { settings: DEFAULT_SETTINGS, updatedAt: null };
  return {
    settings: {
      monthlyFrameworks: row.monthly_frameworks,
      accessReviewDays: row.access_review_days,
      agentKeyMaxAgeDays: row.agent_key_max_age_days,
      alertAckMinutes: { ...DEFAULT_SETTINGS.alertAckMinutes, ...row.alert_ack_minutes },
    },
    updatedAt: row.updated_at,
  };
}

export function createComplianceSettingsService(deps: { db: Database }) {
  const envelope = (s: { settings: ComplianceSettings; updatedAt: Date | null }) => ({ settings: s.settings, updatedAt: s.updatedAt?.toISOString() ?? null });
  return {
    async get(ctx: OrgContext) {
      return envelope(await deps.db.transaction({ organizationId: ctx.organizationId }, readSettings));
    },

    /** Merge the body over the current settings; audited as compliance.settings_updated with the changed fields. */
    async update(ctx: OrgContext, input: z.output<typeof updateComplianceSettingsSchema>) {
      const unknown = input.monthlyFrameworks?.find((f) => !FRAMEWORKS_BY_ID.has(f));
      if (unknown !== undefined) throw new AppError('unknown_framework', `There is no framework "${unknown}"; GET /api/v1/compliance/frameworks lists them.`);
      return deps.db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const current = await readSettings(tx);
        const next: ComplianceSettings = {
          monthlyFrameworks: input.monthlyFrameworks ? [...new Set(input.monthlyFrameworks)] : current.settings.monthlyFrameworks,
          accessReviewDays: input.accessReviewDays ?? current.settings.accessReviewDays,
          agentKeyMaxAgeDays: input.agentKeyMaxAgeDays ?? current.settings.agentKeyMaxAgeDays,
          alertAckMinutes: { ...current.settings.alertAckMinutes, ...input.alertAckMinutes },
        };
        const changed = (Object.keys(next) as (keyof ComplianceSettings)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current.settings[k]));
        if (changed.length === 0) return envelope(current);
        const actor = ctx.actor.type === 'api_key' ? 'api_key' : 'user';
        const { rows } = await tx.query<{ updated_at: Date }>(
          `insert into compliance_settings (organization_id, monthly_frameworks, access_review_days, agent_key_max_age_days, alert_ack_minutes, updated_by_type, updated_by_id, updated_at)
           values ($1, $2, $3, $4, $5, $6, $7, now())
           on conflict (organization_id) do update set monthly_frameworks = excluded.monthly_frameworks, access_review_days = excluded.access_review_days,
             agent_key_max_age_days = excluded.agent_key_max_age_days, alert_ack_minutes = excluded.alert_ack_minutes,
             updated_by_type = excluded.updated_by_type, updated_by_id = excluded.updated_by_id, updated_at = now()
           returning updated_at`,
          [orgOf(tx), next.monthlyFrameworks, next.accessReviewDays, next.agentKeyMaxAgeDays, JSON.stringify(next.alertAckMinutes), actor, ctx.actor.id],
        );
        await recordAuditEvent(tx, ctx, {
          action: 'compliance.settings_updated',
          details: { changed: Object.fromEntries(changed.map((k) => [k, { before: current.settings[k], after: next[k] }])) },
        });
        return envelope({ settings: next, updatedAt: rows[0]!.updated_at });
      });
    },
  };
}

export type ComplianceSettingsService = ReturnType<typeof createComplianceSettingsService>;
