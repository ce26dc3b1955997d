import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as contract from '@aim/contracts';
import { discoverMcpServers } from './config-discovery.js';
import type { DiscoveredMcpServer } from './config-entries.js';
import { listMcpServerTools } from './tool-listing.js';
import { unreachableAddress } from '../test-support/offline.js';
import {
  MCP_STDIO_SERVER_SCRIPT,
  startHangingServer,
  startSseMcpServer,
  startHttpMcpServer,
  testTool,
  type HttpMcpTestServer,
  type McpTestSpec,
} from '../test-support/mcp-test-server.js';

/** Listing tools from real MCP servers (the MCP SDK's own server, over stdio and Streamable HTTP). */

const TOOLS = Array.from({ length: 7 }, (_, i) => testTool(`tool_${i}`, `Tool number ${i}`, i === 3 ? { title: 'Three', annotations: { readOnlyHint: true } } : {}));
const TOKEN = 'Bearer secret-header-value';

describe('listing the tools of real MCP servers', () => {
  let dir: string;
  let http: HttpMcpTestServer;
  let servers: Map<string, DiscoveredMcpServer>;
  let hanging: Awaited<ReturnType<typeof startHangingServer>>;
  let sse: Awaited<ReturnType<typeof startSseMcpServer>>;

  const stdioEntry = (spec: McpTestSpec) => ({ command: process.execPath, args: [MCP_STDIO_SERVER_SCRIPT], env: { AIM_TEST_MCP_SPEC: JSON.stringify(spec) } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-sdk-mcp-list-'));
    http = await startHttpMcpServer({ tools: TOOLS, pageSize: 2 });
    hanging = await startHangingServer();
    sse = await startSseMcpServer({ tools: TOOLS, pageSize: 4 });
    const config = join(dir, 'mcp.json');
    await writeFile(
      config,
      JSON.stringify({
        mcpServers: {
          stdio: stdioEntry({ tools: TOOLS, pageSize: 3 }),
          http: { type: 'http', url: http.url, headers: { Authorization: TOKEN } },
          hanging: { url: hanging.url },
          sse: { type: 'sse', url: sse.url },
          closed: { url: `${await unreachableAddress()}/mcp` },
          missing: { command: join(dir, 'no-such-program') },
          crashing: { command: process.execPath, args: ['-e', 'process.exit(3)'] },
          many: stdioEntry({ tools: TOOLS, pageSize: 1 }),
          pages: stdioEntry({ tools: [...TOOLS, ...TOOLS.map((t) => ({ ...t, name: `${t.name}_again` }))], pageSize: 1 }),
        },
      }),
    );
    const found = await discoverMcpServers({ homeDir: dir, projectDir: dir, configPaths: [config], defaultPaths: false });
    servers = new Map(found.servers.map((s) => [s.name, s]));
  });
  after(async () => {
    await http?.close();
    await hanging?.close();
    await sse?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function expected() {
    const tools = await Promise.all(TOOLS.map(async (definition) => ({ name: definition.name, fingerprint: await contract.mcpToolFingerprint(definition), definition })));
    return { tools, toolSetFingerprint: await contract.mcpToolSetFingerprint(tools) };
  }

  it('over stdio, launched with the configuration’s environment, every page, with the contract’s fingerprints', async () => {
    const listed = await listMcpServerTools(servers.get('stdio')!, { timeoutMs: 20_000 });
    assert.ok(listed.ok, listed.ok ? '' : listed.error.message);
    const { tools, toolSetFingerprint } = await expected();
    assert.deepEqual(listed.tools, tools);
    assert.equal(listed.toolSetFingerprint, toolSetFingerprint);
    assert.deepEqual(listed.serverInfo, { name: 'sdk-test-server', version: '1.0.0' });
    assert.ok(!Number.isNaN(Date.parse(listed.observedAt)));
  });

  it('over Streamable HTTP, with the configuration’s headers, every page', async () => {
    const before = http.authorizations.length;
    const listed = await listMcpServerTools(servers.get('http')!);
    assert.ok(listed.ok, listed.ok ? '' : listed.error.message);
    assert.deepEqual(listed.tools, (await expected()).tools);
    const sent = http.authorizations.slice(before);
    assert.ok(sent.length >= 5, 'initialize, initialized and four pages');
    assert.ok(sent.every((value) => value === TOKEN));
  });

  it('over HTTP+SSE for a server configured as sse, named by its URL', async () => {
    const server = servers.get('sse')!;
    assert.deepEqual(server.descriptor, { transport: 'streamable_http', name: 'sse', url: sse.url });
    const listed = await listMcpServerTools(server);
    assert.ok(listed.ok, listed.ok ? '' : listed.error.message);
    assert.deepEqual(listed.tools, (await expected()).tools);
  });

  it('answers a failure with its reason instead of throwing', async () => {
    const reasons = Object.fromEntries(
      await Promise.all(
        ['hanging', 'closed', 'missing', 'crashing'].map(async (name) => {
          const listed = await listMcpServerTools(servers.get(name)!, { timeoutMs: 1_500 });
          assert.equal(listed.ok, false, name);
          return [name, listed.ok ? null : listed.error.reason];
        }),
      ),
    );
    assert.deepEqual(reasons, { hanging: 'timeout', closed: 'connect_failed', missing: 'connect_failed', crashing: 'connect_failed' });
  });

  it('follows many pages without piling listeners on one signal', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const listed = await listMcpServerTools(servers.get('pages')!, { timeoutMs: 20_000 });
      assert.equal(listed.ok ? listed.tools.length : listed.error.message, 14);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.map((w) => w.name), []);
  });

  it('stops past maxTools, and when aborted', async () => {
    const many = await listMcpServerTools(servers.get('many')!, { maxTools: 4, timeoutMs: 20_000 });
    assert.equal(many.ok ? 'ok' : many.error.reason, 'too_many_tools');
    const controller = new AbortController();
    controller.abort();
    const aborted = await listMcpServerTools(servers.get('http')!, { signal: controller.signal });
    assert.equal(aborted.ok ? 'ok' : aborted.error.reason, 'aborted');
  });
});
