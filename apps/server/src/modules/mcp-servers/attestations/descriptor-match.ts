import type { mcpServerDescriptorSchema } from '@aim/contracts';
import type { z } from 'zod';

/**
 * How a server an agent names (its descriptor, from the agent's MCP client configuration) is matched
 * to the registry (docs/mcp.md, "Matching"). Pure functions: the service loads the registered servers.
 *
 * - Streamable HTTP: by the normalized endpoint URL. The WHATWG URL parser lower-cases the scheme and
 *   host, drops the default port (80 for http, 443 for https), encodes the host as punycode and
 *   resolves `.` and `..` segments; on top of that the user info and the fragment are dropped, query
 *   parameters whose names look like credentials are removed, and a trailing `/` is removed from a
 *   path other than `/` (`https://h/mcp/` is `https://h/mcp`; `https://h` is `https://h/`). The path
 *   and the rest of the query keep their case and order.
 * - stdio: by the launch command with surrounding whitespace removed and runs of whitespace made one
 *   space; the value of a secret-looking assignment (`GITHUB_TOKEN=…`) is replaced by `***`.
 * - Never by name alone: the name is whatever the agent's configuration file calls the server, so an
 *   endpoint nobody registered could pass as a registered one just by taking its name, which would hide
 *   exactly the shadow server this check is for. A name that equals a registered server's is shown as
 *   a hint in the shadow server alert instead.
 */

export type Descriptor = z.output<typeof mcpServerDescriptorSchema>;

/** Query parameter names that carry credentials (the registry refuses them in endpoint URLs). */
const SECRET_PARAM = /key|token|secret|passw|auth|credential|signature|^sig$|session|^code$/i;
/** A secret-looking assignment in a launch command (`GITHUB_TOKEN=ghp_…`, `--api-key=…`). */
const SECRET_ASSIGNMENT = /((?:^|\s)-{0,2}[A-Za-z0-9_-]*(?:token|secret|passw|api[_-]?key|credential)[A-Za-z0-9_-]*=)\S+/gi;

export class DescriptorError extends Error {}

/** The longest descriptor key stored (agent_mcp_servers.descriptor_key). */
export const MAX_KEY_LENGTH = 2200;

/** The endpoint normalized (see above); throws DescriptorError for a URL that is not http(s). */
export function normalizeEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DescriptorError(`"${raw.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DescriptorError(`a Streamable HTTP endpoint is http(s), not ${url.protocol}`);
  url.username = '';
  url.password = '';
  url.hash = '';
  for (const name of [...new Set(url.searchParams.keys())]) if (SECRET_PARAM.test(name)) url.searchParams.delete(name);
  // searchParams rewrote the query if it touched it; an emptied query leaves no `?`.
  if (url.search === '?') url.search = '';
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) url.pathname = url.pathname.replace(/\/+$/, '') || '/';
  return url.href;
}

/**
 * What in a descriptor looks like a credential (user info, a secret-looking query parameter or
 * assignment), or null. A signed attestation is kept as received, so one that carries credentials is
 * refused rather than stored.
 */
export function credentialsIn(descriptor: Descriptor): string | null {
  if (descriptor.transport === 'stdio') {
    return new RegExp(SECRET_ASSIGNMENT.source, 'i').test(descriptor.command) ? 'the launch command assigns a secret-looking variable' : null;
  }
  let url: URL;
  try {
    url = new URL(descriptor.url.trim());
  } catch {
    return null;
  }
  if (url.username || url.password) return 'the URL carries a user name or password';
  const secret = [...url.searchParams.keys()].find((name) => SECRET_PARAM.test(name));
  return secret ? `the URL's query parameter "${secret}" looks like a credential` : null;
}

/** The launch command normalized (see above). */
export function normalizeLaunchCommand(raw: string): string {
  return raw.trim().replace(/\s+/g, ' ').replace(SECRET_ASSIGNMENT, '$1***');
}

/** The descriptor as AIM stores and shows it: credentials removed, the endpoint or command normalized. */
export function normalizeDescriptor(descriptor: Descriptor): Descriptor {
  return descriptor.transport === 'streamable_http'
    ? { transport: 'streamable_http', name: descriptor.name.trim(), url: normalizeEndpointUrl(descriptor.url) }
    : { transport: 'stdio', name: descriptor.name.trim(), command: normalizeLaunchCommand(descriptor.command) };
}

/** `streamable_http <url>` or `stdio <command>`, normalized: what a declaration row and the registry are matched on. */
export function descriptorKey(descriptor: Descriptor): string {
  const normalized = normalizeDescriptor(descriptor);
  const key = normalized.transport === 'streamable_http' ? `streamable_http ${normalized.url}` : `stdio ${normalized.command}`;
  // Percent-encoding and punycode can lengthen a URL; a key is stored with at most this many characters.
  if (key.length > MAX_KEY_LENGTH) throw new DescriptorError(`normalized, it is longer than ${MAX_KEY_LENGTH} characters`);
  return key;
}

/** A registered server as matching needs it. */
export interface RegisteredServer {
  id: string;
  name: string;
  status: string;
  transport: 'streamable_http' | 'stdio';
  endpoint_url: string | null;
  launch_command: string | null;
}

/** The key a registered server is found under (null for a stored URL that no longer parses). */
export function registeredKey(server: RegisteredServer): string | null {
  try {
    return server.transport === 'streamable_http'
      ? `streamable_http ${normalizeEndpointUrl(server.endpoint_url ?? '')}`
      : `stdio ${normalizeLaunchCommand(server.launch_command ?? '')}`;
  } catch {
    return null;
  }
}

/**
 * The registry indexed by key. Revoked servers are left out; where two registrations share an
 * endpoint, one that is not suspended wins, then the oldest (ids sort by creation).
 */
export function registryIndex(servers: readonly RegisteredServer[]): { byKey: Map<string, RegisteredServer>; byName: Map<string, RegisteredServer> } {
  const rank = (s: RegisteredServer) => (s.status === 'suspended' ? 1 : 0);
  const ordered = servers.filter((s) => s.status !== 'revoked').sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1));
  const byKey = new Map<string, RegisteredServer>();
  const byName = new Map<string, RegisteredServer>();
  for (const server of ordered) {
    const key = registeredKey(server);
    if (key && !byKey.has(key)) byKey.set(key, server);
    const name = server.name.toLowerCase();
    if (!byName.has(name)) byName.set(name, server);
  }
  return { byKey, byName };
}
