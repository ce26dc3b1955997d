import { orgOf, type Tx } from '../../../platform/db/database.js';

/** Tool names of the organization's other servers, each with the servers that have it (tool shadowing). */
export type OtherServersTools = ReadonlyMap<string, readonly { mcpServerId: string; server: string }[]>;

export interface OtherServerToolRow {
  mcp_server_id: string;
  slug: string;
  tool: string;
}

/**
 * The rows of other servers' tools among some names: the tools of the organization's servers other
 * than `server` that are not revoked (their latest successful scan's, kept in mcp_servers.tool_names,
 * and their pins). The names are joined by hash (`= any(array)` would compare every pair). Parameters
 * are given by reference (`$1`…) so that the query can be part of a larger statement.
 */
export const otherServersToolsSql = (p: { organizationId: string; server: string; names: string }) => `
  with wanted as (select distinct w.name from unnest(${p.names}::text[]) as w(name))
  select m.id as mcp_server_id, m.slug, t.name as tool
    from mcp_servers m cross join lateral unnest(m.tool_names) as t(name) join wanted w on w.name = t.name
   where m.organization_id = ${p.organizationId} and m.id <> ${p.server} and m.status <> 'revoked'
  union
  select m.id, m.slug, p.tool_name
    from mcp_tool_pins p join wanted w on w.name = p.tool_name
    join mcp_servers m on m.id = p.mcp_server_id and m.organization_id = p.organization_id
   where p.organization_id = ${p.organizationId} and p.mcp_server_id <> ${p.server} and p.state <> 'removed' and m.status <> 'revoked'`;

export function otherServersToolsOf(rows: readonly OtherServerToolRow[]): OtherServersTools {
  const byTool = new Map<string, { mcpServerId: string; server: string }[]>();
  for (const row of rows) {
    const servers = byTool.get(row.tool);
    if (servers) servers.push({ mcpServerId: row.mcp_server_id, server: row.slug });
    else byTool.set(row.tool, [{ mcpServerId: row.mcp_server_id, server: row.slug }]);
  }
  return byTool;
}

/** Tool names of the organization's other servers that are not revoked, among `names`. */
export async function loadOtherServersTools(tx: Tx, mcpServerId: string, names: readonly string[]): Promise<OtherServersTools> {
  if (names.length === 0) return new Map();
  const { rows } = await tx.query<OtherServerToolRow>(otherServersToolsSql({ organizationId: '$1', server: '$2', names: '$3' }), [orgOf(tx), mcpServerId, names], {
    name: 'aim.mcp.other-servers-tools',
  });
  return otherServersToolsOf(rows);
}
