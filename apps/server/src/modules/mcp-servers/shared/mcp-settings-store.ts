import { DEFAULT_MCP_SETTINGS, mcpSettingsSchema, type McpSettings } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';

/** The organization's MCP settings (mcp_settings), stored values laid over the defaults. */
export async function loadMcpSettings(tx: Tx): Promise<{ settings: McpSettings; updatedAt: Date | null }> {
  const { rows } = await tx.query<{ settings: Partial<McpSettings>; updated_at: Date }>(
    'select settings, updated_at from mcp_settings where organization_id = $1',
    [orgOf(tx)],
  );
  const row = rows[0];
  return { settings: mcpSettingsOf(row?.settings ?? null), updatedAt: row?.updated_at ?? null };
}

/** A stored settings document (or none) over the defaults. */
export function mcpSettingsOf(stored: Partial<McpSettings> | null): McpSettings {
  if (!stored) return DEFAULT_MCP_SETTINGS;
  // A stored document is checked again: a setting added later gets its default, a bad one fails loudly.
  return mcpSettingsSchema.parse({ ...DEFAULT_MCP_SETTINGS, ...stored });
}
