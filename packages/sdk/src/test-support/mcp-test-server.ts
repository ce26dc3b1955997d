import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpToolDefinition } from '../mcp/fingerprints.generated.js';

/**
 * Minimal real MCP servers for the SDK's tests (not published), built with the MCP SDK's low-level
 * `Server` so that a test controls the exact tool definitions and the `tools/list` pages. The same
 * server runs over Streamable HTTP on loopback here, and over stdio in mcp-stdio-server.ts.
 */

/**
 * What a test server shows: its tools, how many per `tools/list` page, and the environment variable a
 * `read_env` tool answers (to show that a stdio server got the configuration's environment).
 */
export interface McpTestSpec {
  tools: McpToolDefinition[];
  pageSize?: number;
  name?: string;
}

/** The compiled stdio test server, for a stdio configuration entry (`node <path>`). */
export const MCP_STDIO_SERVER_SCRIPT = fileURLToPath(new URL('./mcp-stdio-server.js', import.meta.url));

/** A tool with an object input schema. */
export const testTool = (name: string, description = `The ${name} tool`, extra: Partial<McpToolDefinition> = {}): McpToolDefinition => ({
  name,
  description,
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  ...extra,
});

/**
 * The MCP server of a spec; `calls` records every `tools/call` by tool name. A tool named `fails`
 * answers `isError: true`; `read_env` answers the value of the environment variable named by its `text`.
 */
export function buildMcpTestServer(spec: McpTestSpec, calls: string[] = []): Server {
  const server = new Server({ name: spec.name ?? 'sdk-test-server', version: '1.0.0' }, { capabilities: { tools: {} } });
  const pageSize = spec.pageSize ?? Math.max(1, spec.tools.length);
  server.setRequestHandler(ListToolsRequestSchema, (request) => {
    const start = Number(request.params?.cursor ?? 0);
    const end = start + pageSize;
    return { tools: spec.tools.slice(start, end), ...(end < spec.tools.length ? { nextCursor: String(end) } : {}) };
  });
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    const { name } = request.params;
    calls.push(name);
    const args = request.params.arguments ?? {};
    if (name === 'fails') return { isError: true, content: [{ type: 'text' as const, text: 'it failed' }] };
    if (name === 'read_env') return { content: [{ type: 'text' as const, text: process.env[String(args.text)] ?? '' }] };
    return { content: [{ type: 'text' as const, text: `${name}:${JSON.stringify(args)}` }] };
  });
  return server;
}

/** A running Streamable HTTP test server. */
export interface HttpMcpTestServer {
  url: string;
  /** Every `tools/call`, by tool name, in order. */
  calls: string[];
  /** The `authorization` header of each request (to show headers from the configuration are sent). */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** A stateless Streamable HTTP MCP server on 127.0.0.1 (a new MCP server per request). */
export async function startHttpMcpServer(spec: McpTestSpec): Promise<HttpMcpTestServer> {
  const calls: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const http = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    void handle(req, res, buildMcpTestServer(spec, calls));
  });
  const url = await listen(http, '/mcp');
  return { url, calls, authorizations, close: () => closeHttp(http) };
}

async function handle(req: IncomingMessage, res: ServerResponse, server: Server): Promise<void> {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res);
  } catch {
    if (!res.headersSent) res.writeHead(500).end();
  }
}

/** The same server over the older HTTP+SSE transport: `GET /sse` opens the stream, `POST /messages` carries requests. */
export async function startSseMcpServer(spec: McpTestSpec): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, SSEServerTransport>();
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/sse') {
      const transport = new SSEServerTransport('/messages', res);
      sessions.set(transport.sessionId, transport);
      res.on('close', () => sessions.delete(transport.sessionId));
      void buildMcpTestServer(spec).connect(transport);
    } else if (req.method === 'POST' && url.pathname === '/messages' && sessions.has(url.searchParams.get('sessionId') ?? '')) {
      void sessions.get(url.searchParams.get('sessionId')!)!.handlePostMessage(req, res);
    } else res.writeHead(404).end();
  });
  const url = await listen(http, '/sse');
  return { url, close: () => closeHttp(http) };
}

/** An HTTP server that takes requests and never answers them (an MCP server that never finishes `initialize`). */
export async function startHangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer(() => undefined);
  const url = await listen(http, '/mcp');
  return { url, close: () => closeHttp(http) };
}

async function listen(http: HttpServer, path: string): Promise<string> {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}${path}`;
}

function closeHttp(http: HttpServer): Promise<void> {
  http.closeAllConnections();
  return new Promise((resolve) => http.close(() => resolve()));
}
