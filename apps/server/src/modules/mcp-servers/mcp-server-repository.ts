import type { McpServerJson, McpServerStatus, McpTransport, McpTransportType } from '@aim/contracts';
import { orgOf, type Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/app-error.js';
import type { Actor } from '../../platform/http/request-context.js';

/** MCP servers of the transaction's organization (migration 0014). */
export interface McpServerRow {
  id: string;
  organization_id: string;
  name: string;
  slug: string;
  description: string | null;
  publisher: string | null;
  owner_id: string | null;
  transport: McpTransportType;
  endpoint_url: string | null;
  launch_command: string | null;
  tags: string[];
  status: McpServerStatus;
  status_reason: string | null;
  created_by_type: string;
  created_by_id: string;
  created_at: Date;
  updated_at: Date;
  status_changed_at: Date;
  next_scan_at: Date | null;
  last_scan_id: string | null;
  confidence_score: string | null;
  confidence: unknown;
}

export const transportOf = (row: McpServerRow): McpTransport =>
  row.transport === 'streamable_http' ? { type: 'streamable_http', url: row.endpoint_url! } : { type: 'stdio', command: row.launch_command! };

/** The columns a transport is stored in. */
export const transportColumns = (transport: McpTransport) => ({
  transport: transport.type,
  endpoint_url: transport.type === 'streamable_http' ? transport.url : null,
  launch_command: transport.type === 'stdio' ? transport.command : null,
});

export const mcpServerJson = (row: McpServerRow): McpServerJson => ({
  id: row.id,
  organizationId: row.organization_id,
  name: row.name,
  slug: row.slug,
  description: row.description,
  publisher: row.publisher,
  ownerId: row.owner_id,
  transport: transportOf(row),
  tags: row.tags,
  status: row.status,
  statusReason: row.status_reason,
  confidenceScore: row.confidence_score === null ? null : Number(row.confidence_score),
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  statusChangedAt: row.status_changed_at.toISOString(),
});

/** A second server of the same name, as the error a client can act on. */
function translateConflict(error: unknown): never {
  const e = error as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'mcp_servers_org_name') {
    throw new AppError('conflict', 'An MCP server with this name already exists in the organization; choose another name.');
  }
  if (e.code === '23505' && e.constraint === 'mcp_servers_org_slug') {
    throw new AppError('conflict', 'Another MCP server of the organization, possibly a revoked one, has this slug (it names the server in decision actions, and slugs are never reused); pass another `slug`.');
  }
  throw error;
}

export interface NewMcpServer {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  publisher: string | null;
  ownerId: string;
  transport: McpTransport;
  tags: string[];
  createdBy: Actor;
}

export interface McpServerFilter {
  status?: McpServerStatus | undefined;
  ownerId?: string | undefined;
  transport?: McpTransportType | undefined;
  tag?: string | undefined;
  q?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export const mcpServerRepository = {
  async insert(tx: Tx, server: NewMcpServer): Promise<McpServerRow> {
    const columns = transportColumns(server.transport);
    try {
      const { rows } = await tx.query<McpServerRow>(
        `insert into mcp_servers (id, organization_id, name, description, publisher, owner_id, transport, endpoint_url, launch_command,
                                  tags, created_by_type, created_by_id, slug)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning *`,
        [
          server.id,
          orgOf(tx),
          server.name,
          server.description,
          server.publisher,
          server.ownerId,
          columns.transport,
          columns.endpoint_url,
          columns.launch_command,
          server.tags,
          server.createdBy.type,
          server.createdBy.id,
          server.slug,
        ],
      );
      return rows[0]!;
    } catch (error) {
      translateConflict(error);
    }
  },

  async find(tx: Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<McpServerRow | null> {
    const { rows } = await tx.query<McpServerRow>(
      `select * from mcp_servers where organization_id = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
      [orgOf(tx), id],
    );
    return rows[0] ?? null;
  },

  /** `changes` maps column names (chosen by the service, never by a client) to values. */
  async update(tx: Tx, id: string, changes: Record<string, unknown>): Promise<McpServerRow> {
    const columns = Object.keys(changes);
    const assignments = columns.map((column, i) => `${column} = $${i + 3}`).join(', ');
    try {
      const { rows } = await tx.query<McpServerRow>(
        `update mcp_servers set ${assignments}, updated_at = now() where organization_id = $1 and id = $2 returning *`,
        [orgOf(tx), id, ...columns.map((c) => changes[c])],
      );
      return rows[0]!;
    } catch (error) {
      translateConflict(error);
    }
  },

  async setStatus(tx: Tx, id: string, to: McpServerStatus, reason: string | null): Promise<McpServerRow> {
    const { rows } = await tx.query<McpServerRow>(
      `update mcp_servers set status = $3, status_reason = $4, status_changed_at = now(), updated_at = now()
        where organization_id = $1 and id = $2 returning *`,
      [orgOf(tx), id, to, reason],
    );
    return rows[0]!;
  },

  async list(tx: Tx, filter: McpServerFilter): Promise<{ rows: McpServerRow[]; nextCursor: string | null }> {
    const pattern = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const { rows } = await tx.query<McpServerRow>(
      `select * from mcp_servers
        where organization_id = $1
          and ($2::text is null or status = $2)
          and ($3::text is null or owner_id = $3)
          and ($4::text is null or transport = $4)
          and ($5::text is null or tags @> array[$5::text])
          and ($6::text is null or name ilike $6 or description ilike $6 or publisher ilike $6)
          and ($7::text is null or id < $7)
        order by id desc limit $8`,
      [orgOf(tx), filter.status ?? null, filter.ownerId ?? null, filter.transport ?? null, filter.tag ?? null, pattern, filter.cursor ?? null, filter.limit + 1],
    );
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },
};
