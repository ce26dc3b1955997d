import type { McpServerDescriptor } from './types.js';

/**
 * One server entry of an MCP client configuration, read into what the SDK needs to connect to it
 * (`launch`, which holds the secrets of the configuration: environment values and headers) and what
 * it may tell AIM (`descriptor`, which never does).
 */

/**
 * The MCP clients whose configuration files the SDK reads; `file` for a path given explicitly.
 *
 * @example
 * ```ts
 * const fromCursor = discovery.servers.filter((s) => s.client === 'cursor');
 * ```
 */
export type McpClientKind = 'claude_desktop' | 'claude_code' | 'cursor' | 'vscode' | 'windsurf' | 'file';

/**
 * How to reach a server, as its configuration says. Holds secrets: it is never sent to AIM, and it is
 * left out of `JSON.stringify` and `console.log` of a {@link DiscoveredMcpServer}.
 *
 * @example
 * ```ts
 * if (server.launch.transport === 'stdio') console.log(server.launch.command, server.launch.args);
 * ```
 */
export type McpServerLaunch =
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { transport: 'streamable_http' | 'sse'; url: string; headers: Record<string, string> };

/**
 * A server found in an MCP client configuration.
 *
 * @example
 * ```ts
 * const { servers } = await discoverMcpServers({ projectDir: process.cwd() });
 * for (const s of servers) console.log(s.client, s.source, s.descriptor);
 * ```
 */
export interface DiscoveredMcpServer {
  /** The entry's key in the configuration. */
  name: string;
  client: McpClientKind;
  /** The configuration file it was read from. */
  source: string;
  /** Where in the file, when not at the top (`projects["/home/me/app"]` in ~/.claude.json, `mcp` in settings.json). */
  scope?: string;
  /** Marked `"disabled": true` in the configuration: listed, never connected to. */
  disabled: boolean;
  /** What the agent tells AIM about it. */
  descriptor: McpServerDescriptor;
  /** The names (never the values) of the environment variables or headers the configuration sets. */
  secretNames: string[];
  /** How to connect (secrets included); not enumerable. */
  readonly launch: McpServerLaunch;
}

/** Where an entry comes from. */
export interface EntryOrigin {
  client: McpClientKind;
  source: string;
  scope?: string;
}

const MAX_NAME = 100;
const MAX_COMMAND = 2000;
const MAX_URL = 2048;
const HTTP_TYPES = new Set(['http', 'streamable-http', 'streamable_http', 'streamableHttp']);

/** Read one entry; a string says why it cannot be used. */
export function readServerEntry(name: string, entry: unknown, origin: EntryOrigin): DiscoveredMcpServer | string {
  if (name.trim() === '') return 'a server with an empty name';
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `server "${name}" is not an object`;
  const fields = entry as Record<string, unknown>;
  const launch = readLaunch(name, fields);
  if (typeof launch === 'string') return launch;
  const descriptor = describe(name.slice(0, MAX_NAME), launch);
  if (typeof descriptor === 'string') return descriptor;
  const secrets = launch.transport === 'stdio' ? launch.env : launch.headers;
  const server = {
    name,
    client: origin.client,
    source: origin.source,
    ...(origin.scope === undefined ? {} : { scope: origin.scope }),
    disabled: fields.disabled === true,
    descriptor,
    secretNames: Object.keys(secrets),
  };
  Object.defineProperty(server, 'launch', { value: launch, enumerable: false });
  return server as DiscoveredMcpServer;
}

function readLaunch(name: string, fields: Record<string, unknown>): McpServerLaunch | string {
  const type = typeof fields.type === 'string' ? fields.type : typeof fields.transport === 'string' ? fields.transport : undefined;
  const url = typeof fields.url === 'string' ? fields.url : typeof fields.serverUrl === 'string' ? fields.serverUrl : undefined;
  if (typeof fields.command === 'string' && fields.command.trim() !== '' && (type === undefined || type === 'stdio')) {
    if (fields.args !== undefined && !(Array.isArray(fields.args) && fields.args.every((a) => typeof a === 'string'))) {
      return `server "${name}": args must be an array of strings`;
    }
    return {
      transport: 'stdio',
      command: fields.command,
      args: (fields.args as string[] | undefined) ?? [],
      env: stringRecord(fields.env),
      ...(typeof fields.cwd === 'string' ? { cwd: fields.cwd } : {}),
    };
  }
  if (url !== undefined && (type === undefined || type === 'sse' || HTTP_TYPES.has(type))) {
    if (!isHttpUrl(url)) return `server "${name}": url must be an http(s) URL`;
    return { transport: type === 'sse' ? 'sse' : 'streamable_http', url, headers: stringRecord(fields.headers) };
  }
  if (type !== undefined && type !== 'stdio' && type !== 'sse' && !HTTP_TYPES.has(type)) return `server "${name}": transport "${type}" is not supported`;
  return `server "${name}" has neither a command nor a url`;
}

function describe(name: string, launch: McpServerLaunch): McpServerDescriptor | string {
  if (launch.transport === 'stdio') {
    const command = [launch.command, ...launch.args].map(withoutPassword).join(' ').slice(0, MAX_COMMAND);
    return { transport: 'stdio', name, command };
  }
  const url = new URL(launch.url);
  url.username = '';
  url.password = '';
  if (url.href.length > MAX_URL) return `server "${name}": the url is longer than ${MAX_URL} characters`;
  // An SSE server is named by its URL too: AIM's registry knows servers by address, not by HTTP transport.
  return { transport: 'streamable_http', name, url: url.href };
}

/** A URL's password in an argument (`postgres://me:secret@db/app`) becomes `***`. */
function withoutPassword(arg: string): string {
  return arg.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi, '$1:***@');
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry === 'string') out[key] = entry;
    else if (typeof entry === 'number' || typeof entry === 'boolean') out[key] = String(entry);
  }
  return out;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
