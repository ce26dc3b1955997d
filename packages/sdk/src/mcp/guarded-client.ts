import { AimError } from '../errors.js';
import type { GuardOptions } from '../decisions.js';

/**
 * An MCP client whose tool calls AIM decides (docs/mcp.md, "For SDK users"): every `tools/call` is
 * asked first through the agent's `guard` as the action `mcp:<server slug>/<tool name>`, runs only when
 * allowed, and its outcome is reported. Any MCP client with `callTool` (the MCP SDK's `Client`) fits.
 */

/** The parameters of `tools/call`. */
export interface McpCallToolParams {
  name: string;
  arguments?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * What the wrapper needs of an MCP client: `callTool` (and `request`, whose `tools/call` requests are
 * guarded the same way). The MCP SDK's `Client` fits.
 *
 * @example
 * ```ts
 * const client: McpToolCaller = new Client({ name: 'invoice-bot', version: '1.0.0' });
 * ```
 */
export interface McpToolCaller {
  callTool(params: McpCallToolParams, ...rest: never[]): Promise<unknown>;
}

/** What the wrapper needs of the agent: its `guard`. */
export interface McpGuardAgent {
  guard<T>(action: string, resource: string | undefined, fn: () => T | Promise<T>, options?: GuardOptions): Promise<T>;
}

/**
 * Options of {@link guardMcpClient}.
 *
 * @example
 * ```ts
 * guardMcpClient(client, agent, {
 *   server: 'github',
 *   resource: (tool, args) => (typeof args.repo === 'string' ? `repos/${args.repo}` : undefined),
 *   context: (tool, args) => ({ argumentCount: Object.keys(args).length }),
 * });
 * ```
 */
export interface GuardMcpClientOptions extends Omit<GuardOptions, 'context'> {
  /** The server's slug in AIM (`mcp:<slug>/<tool>`): shown on the server's page in AIM. */
  server: string;
  /** The resource of each call's decision, from the tool and its arguments. Default: none. */
  resource?: (tool: string, args: Record<string, unknown>) => string | undefined;
  /** Facts policies may look at (≤ 8 KiB as JSON), fixed or per call. Default: none (arguments are never sent unless you put them here). */
  context?: Record<string, unknown> | ((tool: string, args: Record<string, unknown>) => Record<string, unknown> | undefined);
}

/** Thrown inside `guard` when the tool answered `isError`, so that the outcome is reported as a failure. */
class ToolAnsweredError extends Error {
  override readonly name = 'ToolAnsweredError';
  constructor(readonly result: unknown) {
    super('the tool answered isError');
  }
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/**
 * Wrap an MCP client so that AIM decides each tool call. `callTool({ name, arguments })` (and
 * `request({ method: 'tools/call', … })`) first asks AIM through `agent.guard` for the action
 * `mcp:<server>/<name>`; the call is made only on allow (or once a person approved), and its outcome is
 * reported: `success`, or `failure` when the call throws or the tool answers `isError: true` (that
 * result is still answered as it is). Everything else passes through to the client unchanged.
 *
 * Throws without calling the tool: `ActionDeniedError` (`action_denied`, with the decision's reasons,
 * e.g. rule `mcp_tool` for a tool that drifted from its approved definition), `aim_unreachable`, or
 * AIM's own 4xx, exactly as {@link AimAgent.guard} does.
 *
 * @example
 * ```ts
 * import { Client } from '@modelcontextprotocol/sdk/client/index.js';
 * import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
 * import { guardMcpClient, ActionDeniedError } from '@aim/sdk';
 *
 * const client = new Client({ name: 'invoice-bot', version: '1.0.0' });
 * await client.connect(new StreamableHTTPClientTransport(new URL('https://github-mcp.example.com/mcp')));
 * const github = guardMcpClient(client, agent, { server: 'github' });
 * try {
 *   const result = await github.callTool({ name: 'create_issue', arguments: { title: 'Invoice 8812' } });
 * } catch (error) {
 *   if (error instanceof ActionDeniedError) console.warn(error.reasons.map((r) => `${r.rule}: ${r.message}`));
 *   else throw error;
 * }
 * ```
 */
export function guardMcpClient<C extends McpToolCaller>(client: C, agent: McpGuardAgent, options: GuardMcpClientOptions): C {
  if (typeof options?.server !== 'string' || !SLUG.test(options.server)) {
    throw new AimError('invalid_argument', 'server must be the MCP server\'s slug in AIM (a-z, 0-9, _ and -, at most 40 characters), e.g. github.');
  }
  const { server, resource, context, ...guardOptions } = options;
  const guarded = async (params: McpCallToolParams, call: () => Promise<unknown>): Promise<unknown> => {
    if (typeof params?.name !== 'string' || params.name === '') throw new AimError('invalid_argument', 'A tool call needs the tool\'s name.');
    const args = params.arguments ?? {};
    const callContext = typeof context === 'function' ? context(params.name, args) : context;
    try {
      return await agent.guard(
        `mcp:${server}/${params.name}`,
        resource?.(params.name, args),
        async () => {
          const result = await call();
          if ((result as { isError?: unknown } | null)?.isError === true) throw new ToolAnsweredError(result);
          return result;
        },
        { describeFailure: describeToolFailure, ...guardOptions, ...(callContext === undefined ? {} : { context: callContext }) },
      );
    } catch (error) {
      if (error instanceof ToolAnsweredError) return error.result;
      throw error;
    }
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'callTool') {
        return (params: McpCallToolParams, ...rest: unknown[]) =>
          guarded(params, () => (target.callTool as (...a: unknown[]) => Promise<unknown>).call(target, params, ...rest));
      }
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'request' && typeof value === 'function') {
        return (request: { method?: unknown; params?: McpCallToolParams }, ...rest: unknown[]) =>
          request?.method === 'tools/call'
            ? guarded(request.params as McpCallToolParams, () => (value as (...a: unknown[]) => Promise<unknown>).call(target, request, ...rest))
            : (value as (...a: unknown[]) => unknown).call(target, request, ...rest);
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function describeToolFailure(error: unknown): string {
  if (error instanceof ToolAnsweredError) return 'the tool answered isError';
  const code = (error as { code?: unknown } | null)?.code;
  const name = error instanceof Error ? error.name : 'Error';
  return code === undefined ? name : `${name} (${String(code)})`;
}
