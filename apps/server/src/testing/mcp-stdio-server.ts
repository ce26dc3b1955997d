import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/**
 * A small MCP server over stdio for tests (`node dist/testing/mcp-stdio-server.js`), made with the MCP
 * SDK: what agents launch from their MCP client configuration. AIM itself never runs it (it does not
 * run commands); the SDK's attestation side does. MCP_TEST_DESCRIPTION changes its tool's description.
 */
const server = new McpServer({ name: 'stdio-notes', version: '1.0.0' });
server.registerTool(
  'add_note',
  { description: process.env.MCP_TEST_DESCRIPTION ?? 'Adds a note.', inputSchema: { text: z.string() } },
  async ({ text }) => ({ content: [{ type: 'text', text: `noted: ${text}` }] }),
);
await server.connect(new StdioServerTransport());
