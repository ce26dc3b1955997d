// The MCP servers of `bench/mcp-scan.mjs`, in a process of their own: BENCH_MCP_SERVERS servers with
// BENCH_MCP_TOOLS tools each, made with the MCP SDK (apps/server/dist/testing/mcp-test-servers.js: a
// low-level `Server` behind its Streamable HTTP transport, one session per initialize, SSE answers) on
// loopback. Sends `{ urls }` to the parent once listening; exits when the parent disconnects.
import { dist } from './database.mjs';

const { startSdkMcpServer, toolsServer } = await dist('testing/mcp-test-servers.js');
const servers = Number(process.env.BENCH_MCP_SERVERS ?? 20);
const perServer = Number(process.env.BENCH_MCP_TOOLS ?? 50);

const started = [];
for (let s = 0; s < servers; s++) {
  const tools = Array.from({ length: perServer }, (_, i) => ({
    // Names of their own per server: the same names on every server would make every tool shadow
    // nineteen others (a thousand poisoning findings and alerts), which is not what the bench measures.
    name: `s${s}_tool_${i}`,
    description: `Tool ${i} of server ${s}: reads records by id and returns them as JSON.`,
    inputSchema: { type: 'object', properties: { id: { type: 'string', description: 'The record id' }, limit: { type: 'integer', minimum: 1 } }, required: ['id'] },
  }));
  started.push(await startSdkMcpServer({ build: () => toolsServer(() => tools, { name: `bench-${s}` }) }));
}
process.send({ urls: started.map((s) => s.url) });
process.on('disconnect', async () => {
  await Promise.all(started.map((s) => s.close()));
  process.exit(0);
});
