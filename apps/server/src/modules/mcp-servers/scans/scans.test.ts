import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mcpToolFingerprint, mcpToolSetFingerprint, type McpToolDefinition } from '@aim/contracts';
import { forEachTarget } from '../../../testing/targets.js';
import { createTestApp, type TestApp } from '../../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../../testing/people-fixtures.js';
import { insertMcpServer } from '../../../testing/mcp-rows.js';
import { newId } from '../../../platform/ids.js';
import {
  startHonestMcpServer,
  startPagedMcpServer,
  startRawMcpServer,
  startRedirectingMcpServer,
  startMalformedMcpServer,
  startDeepSchemaMcpServer,
  startOversizedMcpServer,
  startRefusingMcpServer,
  startTlsMcpServer,
  type TestMcpServer,
} from '../../../testing/mcp-test-servers.js';

/** What a bare MCP SDK client sees: the reference the scan's fingerprints must equal. */
async function listWithSdk(url: string): Promise<McpToolDefinition[]> {
  const client = new Client({ name: 'reference', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    const tools: McpToolDefinition[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...(page.tools as McpToolDefinition[]));
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  } finally {
    await client.close();
  }
}

let serial = 0;

/** The URL of a loopback port nothing listens on (a server listened there a moment ago). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/mcp`;
}

forEachTarget('mcp scans', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let b: SeededOrganization;
  const servers: TestMcpServer[] = [];
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true', RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    a = await seedOrganization(t, 'A');
    b = await seedOrganization(t, 'B');
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await t?.close();
  });
  const started = async <S extends TestMcpServer>(server: Promise<S>) => {
    const s = await server;
    servers.push(s);
    return s;
  };

  const send = (method: 'POST' | 'GET', url: string, headers: Record<string, string>) => t.app.inject({ method, url, headers });
  const register = async (url: string, headers = a.as.member.apiKey, extra: Record<string, unknown> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mcp-servers',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: `scan-${++serial}`, transport: { type: 'streamable_http', url }, ...extra }),
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().mcpServer.id as string;
  };
  const scan = async (id: string, headers = a.as.member.apiKey) => {
    const res = await send('POST', `/api/v1/mcp-servers/${id}/scans`, headers);
    assert.equal(res.statusCode, 201, res.body);
    return res.json().scan;
  };

  it('scans the honest server: protocol, server info, capabilities, and each tool fingerprinted as a bare SDK client sees it', async () => {
    const honest = await started(startHonestMcpServer());
    const id = await register(honest.url);
    const result = await scan(id);
    assert.equal(result.status, 'succeeded', JSON.stringify(result.failure));
    assert.equal(result.trigger, 'manual');
    assert.equal(result.failure, null);
    assert.match(result.protocolVersion, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(result.serverInfo, { name: 'honest-files', version: '2.1.0', title: 'Honest files' });
    assert.ok(result.capabilities.tools && result.capabilities.resources && result.capabilities.prompts, JSON.stringify(result.capabilities));
    assert.equal(result.instructions, 'Reads reports from /srv/reports.');
    assert.deepEqual(result.counts, { tools: 2, resources: 1, prompts: 1 });
    assert.equal(result.tlsCertificateSha256, null, 'plain http has no certificate');
    assert.equal(result.serverCard.status, 'absent');
    assert.ok(honest.clients.includes('aim'), 'AIM names itself in initialize');

    const reference = await listWithSdk(honest.url);
    const expected = await Promise.all(reference.map(async (tool) => ({ name: tool.name, fingerprint: await mcpToolFingerprint(tool) })));
    assert.equal(result.toolSetFingerprint, await mcpToolSetFingerprint(expected));

    const detail = await send('GET', `/api/v1/mcp-servers/${id}/scans/${result.id}`, a.as.viewer.apiKey);
    assert.equal(detail.statusCode, 200, detail.body);
    const body = detail.json();
    assert.deepEqual(body.scan, result);
    assert.deepEqual(body.tools.map((x: { name: string; fingerprint: string }) => [x.name, x.fingerprint]), expected.sort((x, y) => x.name.localeCompare(y.name)).map((x) => [x.name, x.fingerprint]));
    const search = body.tools.find((x: { name: string }) => x.name === 'search').definition;
    assert.deepEqual(search.annotations, { readOnlyHint: true });
    assert.ok(search.outputSchema, 'the output schema is kept');
    assert.deepEqual(body.resources, [{ uri: 'file:///srv/reports/index.md', name: 'index', mimeType: 'text/markdown', description: 'The index' }]);
    assert.equal(body.prompts[0].name, 'summarize');

    const server = (await (await t.owner()).query('select last_scan_id, next_scan_at from mcp_servers where id = $1', [id])).rows[0];
    assert.equal(server.last_scan_id, result.id);
    assert.ok(server.next_scan_at > new Date(Date.now() + 50 * 60_000), 'the next scheduled scan is an interval away');
    await t.platform.auditSequencer.drain(a.organizationId);
    const audit = await (await t.owner()).query(`select actor_type, details from audit_events where target_id = $1 and action = 'mcp_server.scan'`, [id]);
    assert.deepEqual(audit.rows.map((r) => r.details), [
      { scanId: result.id, trigger: 'manual', status: 'succeeded', failureReason: null, toolCount: 2, toolSetFingerprint: result.toolSetFingerprint },
    ]);
    assert.equal(audit.rows[0].actor_type, 'api_key');
  });

  it('scans a server written from the protocol alone (no SDK, application/json only)', async () => {
    const raw = await startRawMcpServer();
    servers.push({ ...raw, clients: [] });
    const result = await scan(await register(raw.url));
    assert.equal(result.status, 'succeeded', JSON.stringify(result.failure));
    assert.deepEqual(result.serverInfo, { name: 'raw-server', version: '0.1.0' });
    assert.equal(result.counts.tools, 1);
    assert.equal(result.toolSetFingerprint, await mcpToolSetFingerprint([{ name: 'echo', fingerprint: await mcpToolFingerprint(raw.tools[0] as McpToolDefinition) }]));
    assert.deepEqual(raw.received, ['initialize', 'notifications/initialized', 'tools/list'], 'no list the server did not declare');
  });

  it('follows pagination: all 3,000 tools of 30 pages', async () => {
    const paged = await started(startPagedMcpServer());
    const result = await scan(await register(paged.url));
    assert.equal(result.status, 'succeeded', JSON.stringify(result.failure));
    assert.equal(result.counts.tools, 3000);
    const expected = await Promise.all(paged.tools.map(async (tool) => ({ name: tool.name, fingerprint: await mcpToolFingerprint(tool) })));
    assert.equal(result.toolSetFingerprint, await mcpToolSetFingerprint(expected));
  });

  it('records each fault as a failed scan with its reason, and keeps scanning afterwards', async () => {
    const cases: [string, string, RegExp][] = [
      [(await started(startMalformedMcpServer())).url, 'protocol_error', /not valid JSON-RPC|JSON/],
      [(await started(startRedirectingMcpServer())).url, 'redirect_refused', /169\.254\.169\.254.*never follows redirects/],
      [(await started(startRedirectingMcpServer('http://127.0.0.1:1/internal'))).url, 'redirect_refused', /127\.0\.0\.1:1/],
      [(await started(startTlsMcpServer())).url, 'tls_failed', /TLS failed/],
      [await closedPort(), 'unreachable', /ECONNREFUSED/],
      ['http://aim-scan-test.invalid/mcp', 'dns_failed', /does not resolve/],
      [(await started(startRefusingMcpServer(401))).url, 'http_error', /HTTP 401.*without credentials/],
      [(await started(startDeepSchemaMcpServer(40))).url, 'too_large', /nested deeper than 32 levels/],
      [(await started(startOversizedMcpServer())).url, 'too_large', /definition of tool "huge"/],
    ];
    for (const [url, reason, message] of cases) {
      const result = await scan(await register(url));
      assert.equal(result.status, 'failed', url);
      assert.equal(result.failure.reason, reason, `${url}: ${result.failure.message}`);
      assert.match(result.failure.message, message, url);
      assert.equal(result.toolSetFingerprint, null);
      assert.deepEqual(result.counts, { tools: 0, resources: 0, prompts: 0 });
    }
    const honest = await started(startHonestMcpServer());
    assert.equal((await scan(await register(honest.url))).status, 'succeeded', 'the app still scans');
  });

  it('lists scans newest first with keyset pagination; another organization gets 404', async () => {
    const honest = await started(startHonestMcpServer());
    const id = await register(honest.url);
    const made = [await scan(id), await scan(id), await scan(id)];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await send('GET', `/api/v1/mcp-servers/${id}/scans?limit=2${cursor ? `&cursor=${cursor}` : ''}`, a.as.viewer.session);
      assert.equal(res.statusCode, 200, res.body);
      seen.push(...res.json().scans.map((s: { id: string }) => s.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    assert.deepEqual(seen, made.map((s) => s.id).reverse());
    for (const [method, path] of [['GET', ''], ['GET', `/${made[0].id}`], ['POST', '']] as const) {
      const res = await send(method, `/api/v1/mcp-servers/${id}/scans${path}`, b.as.admin.apiKey);
      assert.equal(res.statusCode, 404, `${method} ${path}: ${res.body}`);
    }
    assert.equal((await send('GET', `/api/v1/mcp-servers/${id}/scans/msc_00000000000000000000000000`, a.as.viewer.apiKey)).statusCode, 404);
  });

  it('roles: viewers may not scan, members only their own servers, managers any', async () => {
    const honest = await started(startHonestMcpServer());
    const mine = await register(honest.url, a.as.member.apiKey);
    const theirs = await register(honest.url, a.as.manager.apiKey);
    const viewer = await send('POST', `/api/v1/mcp-servers/${mine}/scans`, a.as.viewer.apiKey);
    assert.equal(viewer.statusCode, 403, viewer.body);
    const other = await send('POST', `/api/v1/mcp-servers/${theirs}/scans`, a.as.member.apiKey);
    assert.equal(other.statusCode, 403, other.body);
    assert.equal((await scan(mine, a.as.manager.apiKey)).status, 'succeeded');
    const count = await (await t.owner()).query('select count(*)::int as n from mcp_scans where mcp_server_id = $1', [theirs]);
    assert.equal(count.rows[0].n, 0, 'a refused request starts no scan');
  });

  it('refuses stdio, suspended and revoked servers, and a second scan while one runs (409)', async () => {
    const stdio = await insertMcpServer(t, a.organizationId, { name: `stdio-${++serial}`, ownerId: a.as.member.userId, command: 'node server.js' });
    const refusedStdio = await send('POST', `/api/v1/mcp-servers/${stdio}/scans`, a.as.member.apiKey);
    assert.equal(refusedStdio.statusCode, 409, refusedStdio.body);
    assert.equal(refusedStdio.json().error.code, 'mcp_server_not_scannable');
    assert.match(refusedStdio.json().error.message, /never runs commands/);
    const honest = await started(startHonestMcpServer());
    for (const status of ['suspended', 'revoked']) {
      const id = await insertMcpServer(t, a.organizationId, { name: `${status}-${++serial}`, ownerId: a.as.member.userId, url: honest.url, status });
      const res = await send('POST', `/api/v1/mcp-servers/${id}/scans`, a.as.member.apiKey);
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().error.code, 'mcp_server_not_scannable');
    }
    const busy = await register(honest.url);
    const running = newId('msc');
    await (await t.owner()).query(
      `insert into mcp_scans (id, organization_id, mcp_server_id, trigger, status, started_at) values ($3, $1, $2, 'manual', 'running', now())`,
      [a.organizationId, busy, running],
    );
    const twice = await send('POST', `/api/v1/mcp-servers/${busy}/scans`, a.as.member.apiKey);
    assert.equal(twice.statusCode, 409, twice.body);
    assert.equal(twice.json().error.code, 'mcp_scan_in_progress');
    // A running row long abandoned (its instance stopped) no longer blocks the server.
    await (await t.owner()).query(`update mcp_scans set started_at = now() - interval '1 hour' where id = $1`, [running]);
    assert.equal((await scan(busy)).status, 'succeeded');
    const old = await (await t.owner()).query('select status, failure_reason from mcp_scans where id = $1', [running]);
    assert.deepEqual(old.rows[0], { status: 'failed', failure_reason: 'timeout' });
  });

  it('the scheduled job scans due servers in the system’s name and sets the next scan an interval later', async () => {
    const honest = await started(startHonestMcpServer());
    const due = await insertMcpServer(t, b.organizationId, { name: `due-${++serial}`, ownerId: b.as.member.userId, url: honest.url });
    const job = t.app.jobs.find((j) => j.name === 'aim.mcp-scan');
    assert.ok(job, 'the job is declared');
    await job.run();
    const { rows } = await (await t.owner()).query(
      `select s.trigger, s.status, s.requested_by_type, m.next_scan_at, m.last_scan_id = s.id as is_last from mcp_scans s join mcp_servers m on m.id = s.mcp_server_id where s.mcp_server_id = $1`,
      [due],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].trigger, rows[0].status, rows[0].requested_by_type, rows[0].is_last], ['scheduled', 'succeeded', 'system', true]);
    assert.ok(rows[0].next_scan_at > new Date(Date.now() + 50 * 60_000));
    await job.run();
    const again = await (await t.owner()).query('select count(*)::int as n from mcp_scans where mcp_server_id = $1', [due]);
    assert.equal(again.rows[0].n, 1, 'not due again before its interval');
    await t.platform.auditSequencer.drain(b.organizationId);
    const audit = await (await t.owner()).query(`select actor_type from audit_events where target_id = $1 and action = 'mcp_server.scan'`, [due]);
    assert.deepEqual(audit.rows, [{ actor_type: 'system' }]);
  });
});

forEachTarget('mcp scans in a deployment that does not allow private networks', (target) => {
  let t: TestApp;
  let a: SeededOrganization;
  let honest: TestMcpServer;
  before(async () => {
    t = await createTestApp(target, { env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'false' } });
    a = await seedOrganization(t, 'A');
    honest = await startHonestMcpServer();
  });
  after(async () => {
    await honest?.close();
    await t?.close();
  });

  it('the outbound guard refuses loopback: a recorded address_refused scan, and nothing reaches the server', async () => {
    // Registered before the deployment's rules changed (the API would refuse it now).
    const id = await insertMcpServer(t, a.organizationId, { name: 'loopback', ownerId: a.as.member.userId, url: honest.url });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/mcp-servers/${id}/scans`, headers: a.as.member.apiKey });
    assert.equal(res.statusCode, 201, res.body);
    const result = res.json().scan;
    assert.equal(result.status, 'failed');
    assert.equal(result.failure.reason, 'address_refused');
    assert.match(result.failure.message, /not a public address.*OUTBOUND_ALLOW_PRIVATE_NETWORKS/);
    assert.deepEqual(honest.clients, [], 'the server never saw an initialize');
  });
});
