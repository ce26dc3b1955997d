import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { buildMcpTestServer, type McpTestSpec } from './mcp-test-server.js';

/**
 * The test MCP server over stdio (not published): `node dist/test-support/mcp-stdio-server.js`, its
 * spec in the `AIM_TEST_MCP_SPEC` environment variable (JSON, see McpTestSpec). Tests find the script
 * with {@link MCP_STDIO_SERVER_SCRIPT} of mcp-test-server.ts (importing this file would start it).
 */
const spec = JSON.parse(process.env.AIM_TEST_MCP_SPEC ?? '{"tools":[]}') as McpTestSpec;
await buildMcpTestServer(spec).connect(new StdioServerTransport());
