import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An MCP server written from the protocol alone, without the MCP SDK (the MCP specification,
 * "Lifecycle", "Transports: Streamable HTTP", "Tools"): JSON-RPC 2.0 over HTTP POST, every answer
 * `application/json`, no sessions, no server-sent events. It answers `initialize`, accepts
 * `notifications/initialized` (202), `ping`, `tools/list` and `tools/call`; anything else is "method not found".
 * Its tools are plain objects a test may change between scans.
 */
export interface RawMcpServer {
  url: string;
  tools: Record<string, unknown>[];
  /** Methods received, in order. */
  received: string[];
  /** Tools called (tools/call answers with the arguments it was given), in order. */
  calls: string[];
  close(): Promise<void>;
}

const SUPPORTED = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

export async function startRawMcpServer(tools: Record<string, unknown>[] = [
  { name: 'echo', description: 'Echoes the text back.', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
]): Promise<RawMcpServer> {
  const received: string[] = [];
  const calls: string[] = [];
  const state = { tools };
  const answer = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) return void res.writeHead(status).end();
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const respond = (message: { id?: unknown; method?: unknown; params?: Record<string, unknown> }) => {
    const id = message.id ?? null;
    switch (message.method) {
      case 'initialize': {
        const asked = typeof message.params?.protocolVersion === 'string' ? message.params.protocolVersion : '';
        return { jsonrpc: '2.0', id, result: { protocolVersion: SUPPORTED.includes(asked) ? asked : SUPPORTED[0], capabilities: { tools: { listChanged: false } }, serverInfo: { name: 'raw-server', version: '0.1.0' } } };
      }
      case 'ping':
        return { jsonrpc: '2.0', id, result: {} };
      case 'tools/list':
        return { jsonrpc: '2.0', id, result: { tools: state.tools } };
      case 'tools/call': {
        const name = String(message.params?.name);
        if (!state.tools.some((t) => t.name === name)) return { jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${name}` } };
        calls.push(name);
        return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: JSON.stringify(message.params?.arguments ?? {}) }] } };
      }
      default:
        return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${String(message.method)}` } };
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return answer(res, 405);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let message: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
      try {
        message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      }
      received.push(String(message.method));
      // A notification (no id) gets 202 Accepted and no body.
      if (message.id === undefined) return answer(res, 202);
      answer(res, 200, respond(message));
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get tools() {
      return state.tools;
    },
    set tools(next) {
      state.tools = next;
    },
    received,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
