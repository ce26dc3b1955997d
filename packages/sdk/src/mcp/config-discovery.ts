import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readServerEntry, type DiscoveredMcpServer, type EntryOrigin, type McpClientKind } from './config-entries.js';
import { parseJsonc } from './jsonc.js';

/**
 * Finding the MCP servers an agent's machine is configured to use: the `mcpServers`-style JSON files of
 * desktop and editor clients (docs/mcp.md, "For SDK users"). Only reads files; starts nothing.
 */

/**
 * Where to look. Without options: the user's home folder, the current folder as the project, and the
 * platform's application-data folders.
 *
 * @example
 * ```ts
 * await discoverMcpServers({ projectDir: '/srv/app', configPaths: ['/etc/mcp/servers.json'] });
 * ```
 */
export interface McpDiscoveryOptions {
  /** The home folder to read per-user configurations from. Default: the user's (`os.homedir()`). */
  homeDir?: string;
  /** The project whose `.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json` and `.vscode/settings.json` are read. Default: `process.cwd()`. */
  projectDir?: string;
  /** Windows' `%APPDATA%`. Default: `APPDATA` when `homeDir` is not given, else `<homeDir>/AppData/Roaming`. */
  appDataDir?: string;
  /** The XDG configuration folder. Default: `XDG_CONFIG_HOME` when `homeDir` is not given, else `<homeDir>/.config`. */
  configDir?: string;
  /** More configuration files, in any of the formats (`mcpServers`, `servers`, `mcp.servers`). */
  configPaths?: string[];
  /** Read the clients' usual files. Default true; false reads `configPaths` only. */
  defaultPaths?: boolean;
}

/**
 * Something in a configuration file that could not be used (the file is still read as far as it can be).
 *
 * @example
 * ```ts
 * for (const w of discovery.warnings) console.warn(`${w.source}: ${w.message}`);
 * ```
 */
export interface McpConfigWarning {
  source: string;
  message: string;
}

/**
 * What {@link discoverMcpServers} found.
 *
 * @example
 * ```ts
 * const { servers, warnings, filesRead } = await discoverMcpServers();
 * ```
 */
export interface McpDiscovery {
  servers: DiscoveredMcpServer[];
  warnings: McpConfigWarning[];
  /** The files that exist and were read. */
  filesRead: string[];
}

interface Candidate {
  client: McpClientKind;
  path: string;
}

/** The configuration files of the MCP clients the SDK knows, for these folders. */
export function mcpConfigCandidates(options: McpDiscoveryOptions = {}): Candidate[] {
  const given = options.homeDir !== undefined;
  const home = resolve(options.homeDir ?? homedir());
  const project = resolve(options.projectDir ?? process.cwd());
  const appData = resolve(options.appDataDir ?? (given ? undefined : process.env.APPDATA) ?? join(home, 'AppData', 'Roaming'));
  const xdg = resolve(options.configDir ?? (given ? undefined : process.env.XDG_CONFIG_HOME) ?? join(home, '.config'));
  const macSupport = join(home, 'Library', 'Application Support');
  const candidates: Candidate[] = [];
  const add = (client: McpClientKind, ...paths: string[]) => {
    for (const path of paths) if (!candidates.some((c) => c.path === path)) candidates.push({ client, path });
  };
  if (options.defaultPaths !== false) {
    add('claude_desktop', ...[macSupport, appData, xdg].map((dir) => join(dir, 'Claude', 'claude_desktop_config.json')));
    add('claude_code', join(home, '.claude.json'), join(project, '.mcp.json'));
    add('cursor', join(home, '.cursor', 'mcp.json'), join(project, '.cursor', 'mcp.json'));
    const vscodeUser = [macSupport, appData, xdg].map((dir) => join(dir, 'Code', 'User'));
    add('vscode', ...vscodeUser.flatMap((dir) => [join(dir, 'mcp.json'), join(dir, 'settings.json')]));
    add('vscode', join(project, '.vscode', 'mcp.json'), join(project, '.vscode', 'settings.json'));
    add('windsurf', join(home, '.codeium', 'windsurf', 'mcp_config.json'));
  }
  for (const path of options.configPaths ?? []) add('file', resolve(path));
  return candidates;
}

/**
 * Read the MCP client configurations on this machine and list the servers they name. Missing files are
 * skipped silently; a file that is not JSON (comments and trailing commas are accepted) or an entry
 * that cannot be used is reported in `warnings`. Nothing is started and nothing is sent.
 *
 * @example
 * ```ts
 * const { servers, warnings } = await discoverMcpServers({ projectDir: process.cwd() });
 * console.log(servers.map((s) => `${s.name} (${s.client}: ${s.source})`));
 * ```
 */
export async function discoverMcpServers(options: McpDiscoveryOptions = {}): Promise<McpDiscovery> {
  const discovery: McpDiscovery = { servers: [], warnings: [], filesRead: [] };
  for (const candidate of mcpConfigCandidates(options)) {
    let text: string;
    try {
      text = await readFile(candidate.path, 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') discovery.warnings.push({ source: candidate.path, message: `could not be read (${String(code ?? error)})` });
      continue;
    }
    discovery.filesRead.push(candidate.path);
    let document: unknown;
    try {
      document = parseJsonc(text);
    } catch (error) {
      discovery.warnings.push({ source: candidate.path, message: `is not JSON: ${(error as Error).message}` });
      continue;
    }
    readDocument(document, { client: candidate.client, source: candidate.path }, discovery);
  }
  return discovery;
}

/** Every server table a client configuration can hold: `mcpServers`, `servers`, `mcp.servers`, and Claude Code's `projects.<path>.mcpServers`. */
function readDocument(document: unknown, origin: EntryOrigin, into: McpDiscovery): void {
  if (!isObject(document)) {
    into.warnings.push({ source: origin.source, message: 'is not a JSON object' });
    return;
  }
  readTable(document.mcpServers, origin, into);
  readTable(document.servers, origin, into);
  if (isObject(document.mcp)) readTable(document.mcp.servers, { ...origin, scope: 'mcp' }, into);
  if (isObject(document.projects)) {
    for (const [project, settings] of Object.entries(document.projects)) {
      if (isObject(settings)) readTable(settings.mcpServers, { ...origin, scope: `projects[${JSON.stringify(project)}]` }, into);
    }
  }
}

function readTable(table: unknown, origin: EntryOrigin, into: McpDiscovery): void {
  if (table === undefined) return;
  if (!isObject(table)) {
    into.warnings.push({ source: origin.source, message: `${origin.scope ? `${origin.scope}: ` : ''}the server list is not an object` });
    return;
  }
  for (const [name, entry] of Object.entries(table)) {
    const server = readServerEntry(name, entry, origin);
    if (typeof server === 'string') into.warnings.push({ source: origin.source, message: origin.scope ? `${origin.scope}: ${server}` : server });
    else into.servers.push(server);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
