import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import * as contract from '@aim/contracts';
import type { AimAgent } from '../agent.js';
import { AimError } from '../errors.js';
import { offlineAgent } from '../test-support/offline.js';
import { MCP_STDIO_SERVER_SCRIPT, startHttpMcpServer, testTool, type HttpMcpTestServer } from '../test-support/mcp-test-server.js';

/**
 * `agent.mcp.scanAndAttest()` end to end on the agent's side: configuration files in a temporary home,
 * real MCP servers (stdio and Streamable HTTP), and a stand-in for AIM that records what is sent. The
 * same flow against the real AIM server is in apps/server/src/modules/mcp-servers/sdk-mcp.test.ts.
 */

const SECRET = 'sk-live-must-never-reach-aim';
const BASE_URL = 'https://aim.example.test';

interface Sent {
  method: string;
  path: string;
  body: string;
  signed: boolean;
}

describe('agent.mcp.scanAndAttest', () => {
  let dir: string;
  let http: HttpMcpTestServer;
  let sent: Sent[];
  let answer: (request: Sent) => Response;
  let agent: AimAgent;

  const stored = { id: 'mat_0000000000000000000000000a', receivedAt: new Date().toISOString(), mcpServerId: null, comparison: 'unregistered' };
  const aim: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    const body = init?.body ? Buffer.from(init.body as Uint8Array).toString('utf8') : '';
    const request = { method: init?.method ?? 'GET', path: url.pathname, body, signed: headers.has('signature') && headers.has('signature-input') };
    sent.push(request);
    return answer(request);
  };
  const json = (status: number, value: unknown) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-sdk-mcp-attest-'));
    http = await startHttpMcpServer({ tools: [testTool('search'), testTool('fetch')] });
    sent = [];
    answer = (request) => {
      if (request.method === 'PUT') return json(200, { servers: JSON.parse(request.body).servers });
      const payload = JSON.parse(Buffer.from(JSON.parse(request.body).attestation.split('.')[1], 'base64url').toString('utf8'));
      return json(201, { attestation: { ...stored, agentId: payload.agentId, server: payload.server, tools: payload.tools, toolSetFingerprint: payload.toolSetFingerprint, observedAt: payload.observedAt, keyId: agent.keyId } });
    };
    agent = await offlineAgent(dir, BASE_URL, aim);
    await writeFile(
      join(dir, '.mcp.json'),
      JSON.stringify({
        mcpServers: {
          local: { command: process.execPath, args: [MCP_STDIO_SERVER_SCRIPT], env: { AIM_TEST_MCP_SPEC: JSON.stringify({ tools: [testTool('echo')] }), API_KEY: SECRET } },
          remote: { type: 'http', url: http.url, headers: { authorization: `Bearer ${SECRET}` } },
          gone: { command: join(dir, 'not-installed') },
          off: { command: 'never-started', disabled: true },
        },
      }),
    );
    // The same remote server in a second client's file: one server, two entries.
    await writeFile(join(dir, 'cursor.json'), JSON.stringify({ mcpServers: { remote: { url: http.url } } }));
  });
  afterEach(async () => {
    await http.close();
    await rm(dir, { recursive: true, force: true });
  });

  const scan = () => agent.mcp.scanAndAttest({ homeDir: dir, projectDir: dir, configPaths: [join(dir, 'cursor.json')], timeoutMs: 20_000 });

  it('declares the servers, attests each one it could list with a JWS AIM can verify, and reports the rest', async () => {
    const report = await scan();
    assert.deepEqual(
      report.servers.map((s) => [s.descriptor.name, s.status, s.entries.length]),
      [['local', 'attested', 1], ['remote', 'attested', 2], ['gone', 'unreachable', 1], ['off', 'disabled', 1]],
    );
    assert.equal(report.servers[2]!.error?.name, 'McpServerError');
    assert.equal(report.declaration.status, 'declared');

    const declared = sent.filter((r) => r.method === 'PUT');
    assert.equal(declared.length, 1);
    assert.equal(declared[0]!.path, `/api/v1/agents/${agent.id}/mcp-servers`);
    assert.deepEqual(JSON.parse(declared[0]!.body), {
      servers: [
        { transport: 'stdio', name: 'local', command: `${process.execPath} ${MCP_STDIO_SERVER_SCRIPT}` },
        { transport: 'streamable_http', name: 'remote', url: http.url },
        { transport: 'stdio', name: 'gone', command: join(dir, 'not-installed') },
      ],
    });
    assert.ok(contract.mcpServerDescriptorSchema.array().safeParse(JSON.parse(declared[0]!.body).servers).success);

    const attestations = sent.filter((r) => r.method === 'POST');
    assert.deepEqual(attestations.map((r) => [r.path, r.signed]), [
      [`/api/v1/agents/${agent.id}/mcp-attestations`, true],
      [`/api/v1/agents/${agent.id}/mcp-attestations`, true],
    ]);
    const credentials = JSON.parse(await readFile(join(dir, (await readdir(dir)).find((f) => f.startsWith('agent-'))!), 'utf8'));
    const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: credentials.publicKey }, 'EdDSA');
    for (const request of attestations) {
      const body = JSON.parse(request.body) as Record<string, string>;
      assert.deepEqual(Object.keys(body), ['attestation']);
      const { payload, protectedHeader } = await compactVerify(body.attestation!, publicKey);
      assert.deepEqual(protectedHeader, { alg: 'EdDSA', kid: agent.keyId, typ: 'aim-mcp-attestation+jwt' });
      assert.deepEqual(decodeProtectedHeader(body.attestation!), protectedHeader);
      const claims = JSON.parse(new TextDecoder().decode(payload));
      assert.deepEqual(Object.keys(claims).sort(), ['agentId', 'iat', 'observedAt', 'server', 'toolSetFingerprint', 'tools']);
      assert.equal(claims.agentId, agent.id);
      assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 600 && Number.isInteger(claims.iat));
      const report_ = report.servers.find((s) => s.descriptor.name === claims.server.name)!;
      assert.deepEqual(claims.server, report_.descriptor);
      assert.deepEqual(claims.tools, report_.tools);
      assert.equal(claims.toolSetFingerprint, await contract.mcpToolSetFingerprint(claims.tools));
      assert.equal(report_.attestation?.id, stored.id);
    }
    const local = report.servers[0]!;
    assert.deepEqual(local.tools, [{ name: 'echo', fingerprint: await contract.mcpToolFingerprint(testTool('echo')) }]);

    for (const request of sent) assert.ok(!request.body.includes(SECRET), `${request.method} ${request.path} carried a secret`);
    assert.ok(!JSON.stringify(report).includes(SECRET), 'the report holds no secret either');
  });

  it('reports AIM’s refusals per server and for the declaration, without throwing', async () => {
    answer = (request) =>
      request.method === 'PUT'
        ? json(404, { error: { code: 'not_found', message: 'Route not found', requestId: 'req_1' } })
        : json(400, { error: { code: 'validation_failed', message: 'bad attestation', requestId: 'req_2' } });
    const report = await scan();
    assert.equal(report.declaration.status, 'failed');
    assert.equal(report.declaration.status === 'failed' && report.declaration.error.code, 'not_found');
    const attempted = report.servers.filter((s) => s.status === 'attest_failed');
    assert.deepEqual(attempted.map((s) => s.descriptor.name), ['local', 'remote']);
    for (const server of attempted) {
      assert.ok(server.error instanceof AimError && server.error.code === 'validation_failed');
      assert.ok(server.toolSetFingerprint, 'what was seen is still reported');
    }
  });

  it('declares nothing with declare: false, and lists nothing it only discovers', async () => {
    const discovered = await agent.mcp.discover({ homeDir: dir, projectDir: dir });
    assert.deepEqual(discovered.servers.map((s) => s.name), ['local', 'remote', 'gone', 'off']);
    assert.equal(sent.length, 0);
    const report = await agent.mcp.scanAndAttest({ homeDir: dir, projectDir: dir, declare: false, timeoutMs: 20_000 });
    assert.equal(report.declaration.status, 'skipped');
    assert.ok(sent.every((r) => r.method === 'POST'));
  });
});
