import { RISK_LEVELS, type McpToolDefinition, type RiskLevel } from '@aim/contracts';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { Actor } from '../../../platform/http/request-context.js';
import { newId } from '../../../platform/ids.js';

/**
 * Approvals, pins and the capabilities of approved tools (migration 0021): mcp_approvals,
 * mcp_tool_pins, capabilities.mcp_server_id / mcp_tool. Every statement is scoped to the
 * transaction's organization.
 */

export interface PinRow {
  tool_name: string;
  fingerprint: string;
  current_fingerprint: string | null;
  state: 'pinned' | 'changed' | 'removed';
  blocked: boolean;
  action: string | null;
  capability_id: string | null;
  approval_id: string;
  pinned_at: Date;
  drifted_at: Date | null;
}

export interface ApprovalRow {
  id: string;
  mcp_server_id: string;
  scan_id: string;
  tool_set_fingerprint: string;
  tools: { name: string; fingerprint: string; action: string | null }[];
  note: string | null;
  approved_by_type: 'user' | 'api_key';
  approved_by_id: string;
  created_at: Date;
}

/** What a pin becomes after a scan: its current fingerprint (null: gone) and state. */
export interface PinUpdate {
  name: string;
  current: string | null;
  state: PinRow['state'];
}

/** A tool as approval makes it a capability. */
export interface ToolCapability {
  name: string;
  action: string;
  description: string | null;
  riskLevel: RiskLevel;
}

const RISKS = `array[${RISK_LEVELS.map((r) => `'${r}'`).join(',')}]`;

/**
 * The risk level of a tool's action from its annotations (docs/mcp.md, "risk levels"): destructive
 * is high, read-only low, anything else (or no annotations) medium; open-world raises one level.
 * Destructive wins when a tool says both (the cautious reading of a contradiction).
 */
export function toolRiskLevel(definition: McpToolDefinition): RiskLevel {
  const hints = definition.annotations ?? {};
  const base = hints.destructiveHint === true ? 2 : hints.readOnlyHint === true ? 0 : 1;
  return RISK_LEVELS[Math.min(base + (hints.openWorldHint === true ? 1 : 0), RISK_LEVELS.length - 1)]!;
}

export const approvalRepository = {
  async pins(tx: Tx, mcpServerId: string): Promise<PinRow[]> {
    const { rows } = await tx.query<PinRow>(
      `select tool_name, fingerprint, current_fingerprint, state, blocked, action, capability_id, approval_id, pinned_at, drifted_at
         from mcp_tool_pins where organization_id = $1 and mcp_server_id = $2 order by tool_name`,
      [orgOf(tx), mcpServerId],
      { name: 'aim.mcp.pins' },
    );
    return rows;
  },

  /**
   * Pins as a scan found them: current fingerprint, state, when they drifted (kept from the first
   * scan that saw it), and blocked when drifted and the organization blocks drifted tools. Only
   * rows whose values change are written.
   */
  async updatePins(tx: Tx, mcpServerId: string, updates: readonly PinUpdate[], block: boolean, at: Date): Promise<void> {
    if (updates.length === 0) return;
    await tx.query(
      `update mcp_tool_pins p set current_fingerprint = u.current, state = u.state,
              drifted_at = case when u.state = 'pinned' then null else coalesce(p.drifted_at, $4) end,
              blocked = (u.state <> 'pinned' and $3::boolean)
         from jsonb_to_recordset($5::jsonb) as u(name text, current text, state text)
        where p.organization_id = $1 and p.mcp_server_id = $2 and p.tool_name = u.name
          and (p.current_fingerprint is distinct from u.current or p.state <> u.state or p.blocked <> (u.state <> 'pinned' and $3::boolean))`,
      [orgOf(tx), mcpServerId, block, at, JSON.stringify(updates)],
      { name: 'aim.mcp.pins-update' },
    );
  },

  /** The blockDriftedTools setting changed: drifted pins of every server follow it. Answers how many changed. */
  async setDriftedBlocked(tx: Tx, blocked: boolean): Promise<number> {
    const { rowCount } = await tx.query(
      `update mcp_tool_pins set blocked = $2 where organization_id = $1 and state <> 'pinned' and blocked <> $2`,
      [orgOf(tx), blocked],
    );
    return rowCount ?? 0;
  },

  async insertApproval(
    tx: Tx,
    input: { mcpServerId: string; scanId: string; toolSetFingerprint: string; tools: ApprovalRow['tools']; note: string | null; by: Actor; at: Date },
  ): Promise<ApprovalRow> {
    const { rows } = await tx.query<ApprovalRow>(
      `insert into mcp_approvals (id, organization_id, mcp_server_id, scan_id, tool_set_fingerprint, tools, note, approved_by_type, approved_by_id, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
      [newId('mca', input.at.getTime()), orgOf(tx), input.mcpServerId, input.scanId, input.toolSetFingerprint, JSON.stringify(input.tools), input.note, input.by.type, input.by.id, input.at],
    );
    return rows[0]!;
  },

  async latestApproval(tx: Tx, mcpServerId: string): Promise<ApprovalRow | null> {
    const { rows } = await tx.query<ApprovalRow>(
      'select * from mcp_approvals where organization_id = $1 and mcp_server_id = $2 order by id desc limit 1',
      [orgOf(tx), mcpServerId],
    );
    return rows[0] ?? null;
  },

  async approvals(tx: Tx, mcpServerId: string, page: { cursor?: string | undefined; limit: number }): Promise<{ rows: ApprovalRow[]; nextCursor: string | null }> {
    const { rows } = await tx.query<ApprovalRow>(
      `select * from mcp_approvals where organization_id = $1 and mcp_server_id = $2 and ($3::text is null or id < $3) order by id desc limit $4`,
      [orgOf(tx), mcpServerId, page.cursor ?? null, page.limit + 1],
    );
    const more = rows.length > page.limit;
    const items = more ? rows.slice(0, page.limit) : rows;
    return { rows: items, nextCursor: more ? items[items.length - 1]!.id : null };
  },

  /**
   * One capability per approved tool, created or brought up to date (description; the risk level is
   * the higher of the stored one and the annotations', so a level an admin raised stays). Answers
   * their ids by action.
   */
  async upsertCapabilities(tx: Tx, mcpServerId: string, tools: readonly ToolCapability[]): Promise<Map<string, string>> {
    if (tools.length === 0) return new Map();
    const { rows } = await tx.query<{ id: string; name: string }>(
      `insert into capabilities as c (id, organization_id, name, description, risk_level, mcp_server_id, mcp_tool)
       select t.id, $1, t.action, t.description, t.risk, $2, t.name
         from jsonb_to_recordset($3::jsonb) as t(id text, action text, description text, risk text, name text)
       on conflict (organization_id, name) do update set
         description = excluded.description,
         risk_level = (${RISKS})[greatest(array_position(${RISKS}, c.risk_level), array_position(${RISKS}, excluded.risk_level))],
         mcp_server_id = excluded.mcp_server_id, mcp_tool = excluded.mcp_tool, updated_at = now()
       returning id, name`,
      [
        orgOf(tx),
        mcpServerId,
        JSON.stringify(tools.map((t) => ({ id: newId('cap'), action: t.action, description: t.description, risk: t.riskLevel, name: t.name }))),
      ],
      { name: 'aim.mcp.capabilities-upsert' },
    );
    return new Map(rows.map((r) => [r.name, r.id]));
  },

  /** The server's pins become exactly these (a re-approval replaces them whole). */
  async replacePins(
    tx: Tx,
    mcpServerId: string,
    approvalId: string,
    pins: readonly { name: string; fingerprint: string; action: string | null; capabilityId: string | null }[],
    at: Date,
  ): Promise<void> {
    await tx.query('delete from mcp_tool_pins where organization_id = $1 and mcp_server_id = $2', [orgOf(tx), mcpServerId]);
    if (pins.length === 0) return;
    await tx.query(
      `insert into mcp_tool_pins (organization_id, mcp_server_id, tool_name, fingerprint, current_fingerprint, state, blocked, action, capability_id, approval_id, pinned_at)
       select $1, $2, p.name, p.fingerprint, p.fingerprint, 'pinned', false, p.action, p.capability_id, $3, $4
         from jsonb_to_recordset($5::jsonb) as p(name text, fingerprint text, action text, capability_id text)`,
      [orgOf(tx), mcpServerId, approvalId, at, JSON.stringify(pins.map((p) => ({ name: p.name, fingerprint: p.fingerprint, action: p.action, capability_id: p.capabilityId })))],
      { name: 'aim.mcp.pins-replace' },
    );
  },
};
