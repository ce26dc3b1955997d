import { DEFAULT_MONITORING_SETTINGS, mergeMonitoringSettings, monitoringSettingsSchema, type MonitoringSettings } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';

/**
 * The organization's monitoring settings: its stored document merged over the defaults (so a
 * parameter added later gets its default), or the defaults. `updatedAt` is null for the defaults.
 */
export async function loadMonitoringSettings(tx: Tx): Promise<{ settings: MonitoringSettings; updatedAt: Date | null }> {
  const { rows } = await tx.query<{ settings: Partial<MonitoringSettings>; updated_at: Date }>(
    'select settings, updated_at from monitoring_settings where organization_id = $1',
    [orgOf(tx)],
    { name: 'aim.monitoring.settings' },
  );
  const row = rows[0];
  if (!row) return { settings: DEFAULT_MONITORING_SETTINGS, updatedAt: null };
  return { settings: monitoringSettingsSchema.parse(mergeMonitoringSettings(DEFAULT_MONITORING_SETTINGS, row.settings)), updatedAt: row.updated_at };
}
