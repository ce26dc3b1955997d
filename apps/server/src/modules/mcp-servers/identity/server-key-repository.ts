import type { McpServerKeyJson } from '@aim/contracts';
import { publicJwk } from '../../../platform/crypto/ed25519.js';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/http/app-error.js';
import type { Actor } from '../../../platform/http/request-context.js';

/** Keys of MCP servers (mcp_server_keys, migration 0021), in the transaction's organization. */
export interface ServerKeyRow {
  id: string;
  mcp_server_id: string;
  public_key: Buffer;
  created_by_type: 'user' | 'api_key';
  created_by_id: string;
  created_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

const COLUMNS = 'id, mcp_server_id, public_key, created_by_type, created_by_id, created_at, revoked_at, revoked_reason';

export const serverKeyJson = (row: ServerKeyRow): McpServerKeyJson => ({
  id: row.id,
  mcpServerId: row.mcp_server_id,
  publicKeyJwk: publicJwk(row.public_key),
  status: row.revoked_at ? 'revoked' : 'active',
  createdBy: { type: row.created_by_type, id: row.created_by_id },
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
  revokedReason: row.revoked_reason,
});

const alreadyRegistered = () =>
  new AppError('key_already_registered', 'This public key is already registered (to an agent or an MCP server); generate a new key pair for each server.');

export const serverKeyRepository = {
  /** Insert a key; a key already registered anywhere (server keys are unique by thumbprint) is a 409. */
  async insert(tx: Tx, input: { id: string; mcpServerId: string; raw: Buffer; createdBy: Actor }): Promise<ServerKeyRow> {
    try {
      const { rows } = await tx.query<ServerKeyRow>(
        `insert into mcp_server_keys (id, organization_id, mcp_server_id, public_key, created_by_type, created_by_id)
         values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
        [input.id, orgOf(tx), input.mcpServerId, input.raw, input.createdBy.type, input.createdBy.id],
      );
      return rows[0]!;
    } catch (error) {
      const e = error as { code?: string; constraint?: string };
      if (e.code === '23505' && (e.constraint === 'mcp_server_keys_pkey' || e.constraint === 'mcp_server_keys_organization_id_public_key_key')) {
        throw alreadyRegistered();
      }
      throw error;
    }
  },

  /** Refuse a key an agent of the organization already holds (one key pair, one identity). */
  async assertNotAnAgentKey(tx: Tx, keyId: string): Promise<void> {
    const { rowCount } = await tx.query('select 1 from agent_keys where organization_id = $1 and id = $2', [orgOf(tx), keyId]);
    if (rowCount) throw alreadyRegistered();
  },

  async find(tx: Tx, mcpServerId: string, keyId: string, options: { forUpdate?: boolean } = {}): Promise<ServerKeyRow | null> {
    const { rows } = await tx.query<ServerKeyRow>(
      `select ${COLUMNS} from mcp_server_keys where organization_id = $1 and mcp_server_id = $2 and id = $3${options.forUpdate ? ' for update' : ''}`,
      [orgOf(tx), mcpServerId, keyId],
    );
    return rows[0] ?? null;
  },

  async countActive(tx: Tx, mcpServerId: string): Promise<number> {
    const { rows } = await tx.query<{ count: string }>(
      'select count(*) from mcp_server_keys where organization_id = $1 and mcp_server_id = $2 and revoked_at is null',
      [orgOf(tx), mcpServerId],
    );
    return Number(rows[0]!.count);
  },

  /** The server's active keys (what a server card may be signed with). */
  async active(tx: Tx, mcpServerId: string): Promise<ServerKeyRow[]> {
    const { rows } = await tx.query<ServerKeyRow>(
      `select ${COLUMNS} from mcp_server_keys where organization_id = $1 and mcp_server_id = $2 and revoked_at is null order by created_at desc, id desc`,
      [orgOf(tx), mcpServerId],
      { name: 'aim.mcp.server-keys-active' },
    );
    return rows;
  },

  /** Newest first, keyset on (created_at, id) after the cursor key. */
  async list(tx: Tx, mcpServerId: string, filter: { status?: 'active' | 'revoked' | undefined; cursor?: string | undefined; limit: number }) {
    const { rows } = await tx.query<ServerKeyRow>(
      `select ${COLUMNS} from mcp_server_keys k
        where k.organization_id = $1 and k.mcp_server_id = $2
          and ($3::text is null or ($3 = 'active') = (k.revoked_at is null))
          and ($4::text is null or (k.created_at, k.id) < (select c.created_at, c.id from mcp_server_keys c where c.organization_id = $1 and c.id = $4))
        order by k.created_at desc, k.id desc limit $5`,
      [orgOf(tx), mcpServerId, filter.status ?? null, filter.cursor ?? null, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    return { keys: page.map(serverKeyJson), nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null };
  },

  async revoke(tx: Tx, keyId: string, reason: string | null): Promise<ServerKeyRow> {
    const { rows } = await tx.query<ServerKeyRow>(
      `update mcp_server_keys set revoked_at = now(), revoked_reason = $3 where organization_id = $1 and id = $2 returning ${COLUMNS}`,
      [orgOf(tx), keyId, reason],
    );
    return rows[0]!;
  },
};
