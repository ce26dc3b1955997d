import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { DiscoveredMcpServer } from './config-entries.js';
import { mcpToolFingerprint, mcpToolSetFingerprint, type McpToolDefinition } from './fingerprints.generated.js';
import type { McpToolSeen } from './types.js';

/**
 * Connecting to one MCP server as a client (`@modelcontextprotocol/sdk`, loaded only when used):
 * stdio with the configuration's command, arguments and environment, or Streamable HTTP (SSE for
 * servers configured as `sse`) with its headers; `initialize`, `tools/list` through every page, within
 * one deadline, and always closed. A failure is answered, never thrown.
 */

/**
 * Why a server could not be listed: `timeout` (no complete answer within the deadline), `connect_failed`
 * (the process did not start or the address did not answer `initialize`), `protocol_error` (an answer
 * that is not MCP, or an error from `tools/list`), `too_many_tools` (past `maxTools`), `aborted`.
 *
 * @example
 * ```ts
 * if (!listed.ok && listed.error.reason === 'timeout') console.warn(`${listed.server.name} did not answer in time`);
 * ```
 */
export type McpServerFailureReason = 'timeout' | 'connect_failed' | 'protocol_error' | 'too_many_tools' | 'aborted';

/**
 * A server that could not be listed. Its message is the MCP SDK's or the system's, and never holds the
 * configuration's environment values or headers.
 *
 * @example
 * ```ts
 * const failure = new McpServerError('timeout', 'no answer within 15000 ms');
 * ```
 */
export class McpServerError extends Error {
  override readonly name = 'McpServerError';
  constructor(
    readonly reason: McpServerFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What one server showed.
 *
 * @example
 * ```ts
 * if (listed.ok) console.log(listed.serverInfo?.name, listed.tools.length, listed.toolSetFingerprint);
 * ```
 */
export type McpToolListing =
  | {
      ok: true;
      server: DiscoveredMcpServer;
      serverInfo: { name: string; version: string } | null;
      tools: McpToolSeen[];
      toolSetFingerprint: string;
      /** When `tools/list` finished (this machine's clock). */
      observedAt: string;
    }
  | { ok: false; server: DiscoveredMcpServer; error: McpServerError };

/**
 * Options of {@link listMcpServerTools}.
 *
 * @example
 * ```ts
 * await listMcpServerTools(server, { timeoutMs: 5_000, maxTools: 500 });
 * ```
 */
export interface McpListOptions {
  /** The deadline for connecting, `initialize` and every page of `tools/list`, in milliseconds. Default 15,000. */
  timeoutMs?: number;
  /** Stop (`too_many_tools`) past this many tools. Default 10,000. */
  maxTools?: number;
  /** A stdio server's standard error: `ignore` (default) or `inherit` (to see why a server fails). */
  stderr?: 'ignore' | 'inherit';
  signal?: AbortSignal;
}

export const DEFAULT_MCP_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_TOOLS = 10_000;
const CLOSE_GRACE_MS = 2_000;
const CLIENT_INFO = { name: 'aim-sdk', version: '0.1.0' };

/**
 * Connect to a discovered server, list its tools and fingerprint them (`mcpToolFingerprint`, and the set
 * with `mcpToolSetFingerprint`). Never throws: a failure is `{ ok: false, error }`.
 *
 * @example
 * ```ts
 * const { servers } = await discoverMcpServers();
 * const listed = await listMcpServerTools(servers[0]!, { timeoutMs: 10_000 });
 * if (listed.ok) for (const tool of listed.tools) console.log(tool.name, tool.fingerprint);
 * ```
 */
export async function listMcpServerTools(server: DiscoveredMcpServer, options: McpListOptions = {}): Promise<McpToolListing> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_MCP_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new McpServerError('timeout', `no complete answer within ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => controller.abort(new McpServerError('aborted', 'the scan was aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  let client: Client | undefined;
  try {
    const stopped = new Promise<never>((_, reject) => {
      const fail = () => reject(controller.signal.reason);
      if (controller.signal.aborted) fail();
      controller.signal.addEventListener('abort', fail, { once: true });
    });
    stopped.catch(() => undefined);
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    client = new Client(CLIENT_INFO, { capabilities: {} });
    // A signal per request: the MCP SDK leaves its abort listener on the signal it is given.
    const request = () => ({ signal: AbortSignal.any([controller.signal]), timeout: timeoutMs });
    try {
      await Promise.race([client.connect(await openTransport(server, options), request()), stopped]);
    } catch (error) {
      throw failure(error, 'connect_failed', controller.signal);
    }
    const tools = await Promise.race([listAll(client, request, options.maxTools ?? DEFAULT_MAX_TOOLS), stopped]).catch((error: unknown) => {
      throw failure(error, 'protocol_error', controller.signal);
    });
    const seen = await Promise.all(tools.map(async (definition) => ({ name: definition.name, fingerprint: await mcpToolFingerprint(definition), definition })));
    const version = client.getServerVersion();
    return {
      ok: true,
      server,
      serverInfo: version ? { name: version.name, version: version.version } : null,
      tools: seen,
      toolSetFingerprint: await mcpToolSetFingerprint(seen),
      observedAt: new Date().toISOString(),
    };
  } catch (error) {
    return { ok: false, server, error: failure(error, 'protocol_error', controller.signal) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (client) await closeQuietly(client);
  }
}

async function openTransport(server: DiscoveredMcpServer, options: McpListOptions): Promise<Transport> {
  const { launch } = server;
  if (launch.transport === 'stdio') {
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    return new StdioClientTransport({
      command: launch.command,
      args: launch.args,
      env: launch.env,
      ...(launch.cwd === undefined ? {} : { cwd: launch.cwd }),
      stderr: options.stderr ?? 'ignore',
    });
  }
  const requestInit: RequestInit = { headers: launch.headers, redirect: 'error' };
  if (launch.transport === 'sse') {
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
    return new SSEClientTransport(new URL(launch.url), { requestInit });
  }
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  return new StreamableHTTPClientTransport(new URL(launch.url), { requestInit });
}

/** `tools/list` through every page. A cursor seen twice ends with a protocol error rather than a loop. */
async function listAll(client: Client, request: () => { signal: AbortSignal; timeout: number }, maxTools: number): Promise<McpToolDefinition[]> {
  const tools: McpToolDefinition[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, request());
    for (const tool of page.tools) tools.push(tool as McpToolDefinition);
    if (tools.length > maxTools) throw new McpServerError('too_many_tools', `more than ${maxTools} tools`);
    cursor = page.nextCursor;
    if (cursor !== undefined) {
      if (cursors.has(cursor)) throw new McpServerError('protocol_error', 'tools/list answered the same cursor twice');
      cursors.add(cursor);
    }
  } while (cursor !== undefined);
  return tools;
}

function failure(error: unknown, reason: McpServerFailureReason, signal: AbortSignal): McpServerError {
  if (error instanceof McpServerError) return error;
  if (signal.aborted && signal.reason instanceof McpServerError) return signal.reason;
  const message = error instanceof Error ? error.message : String(error);
  return new McpServerError(reason, message.slice(0, 500), { cause: error });
}

async function closeQuietly(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.close().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
  clearTimeout(timer);
}
