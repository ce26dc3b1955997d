import type { mcpAttestationSchema } from '@aim/contracts';
import type { z } from 'zod';
import { orgOf, type Tx } from '../../../platform/db/database.js';
import type { Descriptor, RegisteredServer } from './descriptor-match.js';

/** Agents' declarations (agent_mcp_servers) and attestations (mcp_attestations), migration 0021. */

export type ToolRef = { name: string; fingerprint: string };
export type Comparison = 'match' | 'mismatch' | 'unregistered' | 'no_reference';

export interface AttestationRow {
  id: string;
  agent_id: string;
  key_id: string;
  mcp_server_id: string | null;
  descriptor_key: string;
  descriptor: Descriptor;
  tools: ToolRef[];
  tool_set_fingerprint: string;
  observed_at: Date;
  received_at: Date;
  comparison: Comparison;
}

export interface DeclarationRow {
  descriptor_key: string;
  descriptor: Descriptor;
  mcp_server_id: string | null;
  declared_at: Date;
}

export const attestationJson = (row: AttestationRow): z.input<typeof mcpAttestationSchema> => ({
  id: row.id,
  agentId: row.agent_id,
  mcpServerId: row.mcp_server_id,
  server: row.descriptor,
  tools: row.tools,
  toolSetFingerprint: row.tool_set_fingerprint,
  observedAt: row.observed_at.toISOString(),
  receivedAt: row.received_at.toISOString(),
  keyId: row.key_id,
  comparison: row.comparison,
});

const COLUMNS = 'id, agent_id, key_id, mcp_server_id, descriptor_key, descriptor, tools, tool_set_fingerprint, observed_at, received_at, comparison';

const UPSERT_DECLARATION = `insert into agent_mcp_servers as d (organization_id, agent_id, descriptor_key, descriptor, mcp_server_id, declared_at)
  select $1, $2, r.key, r.descriptor, r.server, $4 from jsonb_to_recordset($3::jsonb) as r(key text, descriptor jsonb, server text)
  on conflict (agent_id, descriptor_key) do update set descriptor = excluded.descriptor, mcp_server_id = excluded.mcp_server_id`;

export interface NewDeclaration {
  key: string;
  descriptor: Descriptor;
  server: string | null;
}

export const attestationRepository = {
  async registeredServers(tx: Tx): Promise<RegisteredServer[]> {
    const { rows } = await tx.query<RegisteredServer>(
      `select id, name, status, transport, endpoint_url, launch_command from mcp_servers where organization_id = $1 and status <> 'revoked'`,
      [orgOf(tx)],
      { name: 'aim.mcp.registry-for-matching' },
    );
    return rows;
  },

  /**
   * Attestations of one server are judged one at a time (until the transaction ends): two agents
   * attesting different sets at the same moment would otherwise each miss the other's row.
   */
  async lockServer(tx: Tx, mcpServerId: string): Promise<void> {
    await tx.query(`select pg_advisory_xact_lock(hashtext('mcp_attestations:' || $1))`, [mcpServerId], { name: 'aim.mcp.attestation-lock' });
  },

  async agentExists(tx: Tx, agentId: string): Promise<boolean> {
    const { rowCount } = await tx.query('select 1 from agents where organization_id = $1 and id = $2', [orgOf(tx), agentId]);
    return rowCount === 1;
  },

  async serverExists(tx: Tx, mcpServerId: string): Promise<boolean> {
    const { rowCount } = await tx.query('select 1 from mcp_servers where organization_id = $1 and id = $2', [orgOf(tx), mcpServerId]);
    return rowCount === 1;
  },

  /** The agent's declaration becomes exactly `rows` (a server named before keeps its declared_at). */
  async replaceDeclaration(tx: Tx, agentId: string, rows: readonly NewDeclaration[], at: Date): Promise<void> {
    await tx.query('delete from agent_mcp_servers where organization_id = $1 and agent_id = $2 and not (descriptor_key = any($3::text[]))', [
      orgOf(tx),
      agentId,
      rows.map((r) => r.key),
    ]);
    if (rows.length > 0) await tx.query(UPSERT_DECLARATION, [orgOf(tx), agentId, JSON.stringify(rows), at], { name: 'aim.mcp.declaration-upsert' });
  },

  /** One server added to (or refreshed in) the agent's declaration. */
  async addDeclared(tx: Tx, agentId: string, row: NewDeclaration, at: Date): Promise<void> {
    await tx.query(UPSERT_DECLARATION, [orgOf(tx), agentId, JSON.stringify([row]), at], { name: 'aim.mcp.declaration-upsert' });
  },

  async declarations(tx: Tx, agentId: string): Promise<DeclarationRow[]> {
    const { rows } = await tx.query<DeclarationRow>(
      `select descriptor_key, descriptor, mcp_server_id, declared_at from agent_mcp_servers
        where organization_id = $1 and agent_id = $2 order by declared_at, descriptor_key`,
      [orgOf(tx), agentId],
    );
    return rows;
  },

  /** The agent's latest attestation of each server it attested, by descriptor key. */
  async latestOfAgent(tx: Tx, agentId: string): Promise<Map<string, AttestationRow>> {
    const { rows } = await tx.query<AttestationRow>(
      `select distinct on (descriptor_key) ${COLUMNS} from mcp_attestations
        where organization_id = $1 and agent_id = $2 order by descriptor_key, id desc`,
      [orgOf(tx), agentId],
      { name: 'aim.mcp.attestations-latest-of-agent' },
    );
    return new Map(rows.map((r) => [r.descriptor_key, r]));
  },

  async insert(tx: Tx, row: Omit<AttestationRow, 'received_at'> & { signature: string; received_at: Date }): Promise<AttestationRow> {
    const { rows } = await tx.query<AttestationRow>(
      `insert into mcp_attestations (id, organization_id, agent_id, key_id, mcp_server_id, descriptor_key, descriptor, tools, tool_set_fingerprint,
                                     observed_at, received_at, signature, comparison)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning ${COLUMNS}`,
      [
        row.id,
        orgOf(tx),
        row.agent_id,
        row.key_id,
        row.mcp_server_id,
        row.descriptor_key,
        JSON.stringify(row.descriptor),
        JSON.stringify(row.tools),
        row.tool_set_fingerprint,
        row.observed_at,
        row.received_at,
        row.signature,
        row.comparison,
      ],
      { name: 'aim.mcp.attestation-insert' },
    );
    return rows[0]!;
  },

  /** Each agent's latest attestation of the server received since `since` (revoked agents left out). */
  async latestOfServer(tx: Tx, mcpServerId: string, since: Date): Promise<AttestationRow[]> {
    const { rows } = await tx.query<AttestationRow>(
      `select * from (select distinct on (m.agent_id) m.id, m.agent_id, m.key_id, m.mcp_server_id, m.descriptor_key, m.descriptor, m.tools,
                             m.tool_set_fingerprint, m.observed_at, m.received_at, m.comparison
                        from mcp_attestations m join agents a on a.organization_id = m.organization_id and a.id = m.agent_id and a.status <> 'revoked'
                       where m.organization_id = $1 and m.mcp_server_id = $2 and m.received_at >= $3
                       order by m.agent_id, m.id desc) latest order by id`,
      [orgOf(tx), mcpServerId, since],
      { name: 'aim.mcp.attestations-latest-of-server' },
    );
    return rows;
  },

  /** AIM's latest successful scan of the server: its id, set fingerprint and tools. */
  async latestScan(tx: Tx, mcpServerId: string): Promise<{ id: string; tool_set_fingerprint: string; tools: ToolRef[] } | null> {
    const { rows } = await tx.query<{ id: string; tool_set_fingerprint: string; tools: ToolRef[] }>(
      `select id, tool_set_fingerprint, tools from mcp_scans
        where organization_id = $1 and mcp_server_id = $2 and status = 'succeeded' order by id desc limit 1`,
      [orgOf(tx), mcpServerId],
      { name: 'aim.mcp.attestation-reference-scan' },
    );
    return rows[0] ?? null;
  },

  async list(tx: Tx, filter: { mcpServerId: string; agentId?: string | undefined; cursor?: string | undefined; limit: number }) {
    const { rows } = await tx.query<AttestationRow>(
      `select ${COLUMNS} from mcp_attestations
        where organization_id = $1 and mcp_server_id = $2 and ($3::text is null or agent_id = $3) and ($4::text is null or id < $4)
        order by id desc limit $5`,
      [orgOf(tx), filter.mcpServerId, filter.agentId ?? null, filter.cursor ?? null, filter.limit + 1],
      { name: 'aim.mcp.attestations-list' },
    );
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextCursor: more ? page[page.length - 1]!.id : null };
  },
};
