import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AimAgent } from '../agent.js';
import type { Decision, DecisionReason } from '../decisions.js';
import { ActionDeniedError, AimError } from '../errors.js';
import { isCode, offlineAgent } from '../test-support/offline.js';
import { startHttpMcpServer, testTool, type HttpMcpTestServer } from '../test-support/mcp-test-server.js';
import { guardMcpClient } from './guarded-client.js';

/**
 * The guarded MCP client with a real MCP server (Streamable HTTP on loopback, counting its calls) and a
 * stand-in for AIM's decision endpoints. The same wrapper against the real AIM server is in
 * apps/server/src/modules/mcp-servers/sdk-mcp.test.ts.
 */

const DECISION_ID = 'dec_01jz0000000000000000000001';
const reason = (rule: DecisionReason['rule'], effect: DecisionReason['effect'], message: string): DecisionReason => ({ rule, effect, message, policyId: null, policyVersion: null, mode: 'enforce' });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

interface Asked {
  action: string;
  resource?: string;
  context?: Record<string, unknown>;
}

describe('guardMcpClient', () => {
  let mcp: HttpMcpTestServer;
  let dir: string;
  let client: Client;
  let agent: AimAgent;
  let asked: Asked[];
  let reported: { status: string; detail?: string }[];
  let denied: Set<string>;

  const aim: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const body = JSON.parse(Buffer.from((init?.body as Uint8Array | undefined) ?? Buffer.from('{}')).toString('utf8')) as Record<string, unknown>;
    if (url.pathname.endsWith('/verify-action')) {
      asked.push(body as unknown as Asked);
      const deny = denied.has(body.action as string);
      const decision: Decision = {
        decisionId: DECISION_ID,
        decision: deny ? 'deny' : 'allow',
        reasons: deny ? [reason('mcp_tool', 'deny', 'the tool changed since it was approved')] : [reason('capability_required', 'allow', 'granted')],
        risk: 'medium',
        evaluatedAt: new Date().toISOString(),
        expiresAt: null,
      };
      return json(200, decision);
    }
    if (url.pathname.endsWith('/result')) {
      reported.push(body as { status: string });
      return json(200, { decision: { id: DECISION_ID, result: body } });
    }
    return json(404, { error: { code: 'not_found', message: 'no', requestId: 'r' } });
  };

  before(async () => {
    mcp = await startHttpMcpServer({ tools: [testTool('echo'), testTool('fails'), testTool('wipe')] });
  });
  after(async () => {
    await mcp.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aim-sdk-mcp-guard-'));
    agent = await offlineAgent(dir, 'https://aim.example.test', aim);
    asked = [];
    reported = [];
    denied = new Set(['mcp:files/wipe']);
    mcp.calls.length = 0;
    client = new Client({ name: 'guard-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url)));
  });
  afterEach(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('asks for mcp:<server>/<tool>, calls the tool when allowed, and reports success', async () => {
    const guarded = guardMcpClient(client, agent, {
      server: 'files',
      resource: (tool, args) => `${tool}/${String(args.text)}`,
      context: (tool, args) => ({ argumentCount: Object.keys(args).length }),
    });
    const result = await guarded.callTool({ name: 'echo', arguments: { text: 'hi' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'echo:{"text":"hi"}' }]);
    assert.deepEqual(mcp.calls, ['echo']);
    assert.deepEqual(asked, [{ action: 'mcp:files/echo', resource: 'echo/hi', context: { argumentCount: 1 } }]);
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!.status, 'success');
  });

  it('does not call the tool when AIM denies, and throws the denial with its reasons', async () => {
    const guarded = guardMcpClient(client, agent, { server: 'files' });
    const error = await guarded.callTool({ name: 'wipe', arguments: {} }).then(
      () => assert.fail('expected a denial'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ActionDeniedError);
    assert.equal(error.action, 'mcp:files/wipe');
    assert.equal(error.decisionId, DECISION_ID);
    assert.deepEqual(error.reasons.map((r) => [r.rule, r.effect]), [['mcp_tool', 'deny']]);
    assert.deepEqual(mcp.calls, [], 'the server never saw the call');
    assert.deepEqual(reported, []);
  });

  it('reports a tool that answers isError as a failure, and still answers its result', async () => {
    const guarded = guardMcpClient(client, agent, { server: 'files' });
    const result = await guarded.callTool({ name: 'fails' });
    assert.equal(result.isError, true);
    assert.deepEqual(mcp.calls, ['fails']);
    assert.deepEqual(reported.map((r) => [r.status, r.detail]), [['failure', 'the tool answered isError']]);
  });

  it('guards tools/call sent through request(), and passes every other method through', async () => {
    const guarded = guardMcpClient(client, agent, { server: 'files' });
    await assert.rejects(guarded.request({ method: 'tools/call', params: { name: 'wipe', arguments: {} } }, CallToolResultSchema), ActionDeniedError);
    const listed = await guarded.listTools();
    assert.deepEqual(listed.tools.map((t) => t.name), ['echo', 'fails', 'wipe']);
    await guarded.request({ method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }, CallToolResultSchema);
    assert.deepEqual(mcp.calls, ['echo']);
    assert.deepEqual(asked.map((a) => a.action), ['mcp:files/wipe', 'mcp:files/echo']);
    assert.equal(guarded.getServerVersion()?.name, 'sdk-test-server');
  });

  it('refuses a server that is not a slug, and a call without a tool name', async () => {
    assert.throws(() => guardMcpClient(client, agent, { server: 'GitHub/x' }), isCode('invalid_argument'));
    const guarded = guardMcpClient(client, agent, { server: 'files' });
    await assert.rejects(guarded.callTool({ name: '' }), (e: unknown) => e instanceof AimError && e.code === 'invalid_argument');
    assert.deepEqual(asked, []);
  });
});
