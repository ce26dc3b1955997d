import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * The one guard for every outbound request to a URL a user supplied (an organization's identity
 * provider, webhook endpoints; later MCP servers): against server-side request forgery.
 *
 * - only http(s), and https unless the address is allowed to be plain (never for public hosts);
 * - the host name is resolved once, at connection time, and every address it resolves to must be
 *   public: loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast and other
 *   reserved ranges are refused — checked in the connection's own lookup, so a DNS answer cannot
 *   change between the check and the connection (no rebinding);
 * - redirects are not followed; time-outs and a response size cap apply.
 *
 * `allowPrivateNetworks` (OUTBOUND_ALLOW_PRIVATE_NETWORKS) lifts the address check for deployments
 * whose identity provider lives on the internal network.
 */
export class OutboundRequestRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundRequestRefused';
  }
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
// (IPv4-mapped addresses are checked as IPv4 below; Node's BlockList would match every IPv4
// address against an IPv6 ::ffff:0:0/96 rule.)
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses, internal ones included
  ['64:ff9b:1::', 48],
  ['2002::', 16], // 6to4
  ['2001::', 32], // Teredo
  ['fec0::', 10], // site-local (deprecated)
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !blocked.check(mapped[1]!, 'ipv4');
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface OutboundGuardOptions {
  allowPrivateNetworks: boolean;
  timeoutMs?: number;
  /** Largest response body read, in bytes (default 1 MiB). */
  maxResponseBytes?: number;
}

/** Whether an error, or anything it was caused by, is a refusal of the guard. */
export function isRefusedByGuard(error: unknown): OutboundRequestRefused | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundRequestRefused) return e;
  }
  return undefined;
}

/** Pass a body through, failing once it grows past `max` bytes. */
function capped(body: ReadableStream<Uint8Array> | null, max: number): ReadableStream<Uint8Array> | null {
  if (!body) return null;
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new OutboundRequestRefused(`The response is larger than ${max} bytes.`));
        else controller.enqueue(chunk);
      },
    }),
  );
}

export type GuardedFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export function createOutboundGuard(options: OutboundGuardOptions) {
  const lookup = (hostname: string, opts: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...opts, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const refused = list.find((a) => !options.allowPrivateNetworks && !isPublicAddress(a.address));
      if (refused) {
        return callback(new OutboundRequestRefused(`${hostname} resolves to ${refused.address}, which is not a public address.`), []);
      }
      const all = (opts as { all?: boolean }).all;
      if (all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
  const agent = new Agent({
    connect: { lookup: lookup as never, timeout: options.timeoutMs ?? 10_000 },
    headersTimeout: options.timeoutMs ?? 10_000,
    bodyTimeout: options.timeoutMs ?? 10_000,
  });

  /**
   * A connection pool of its own (keep-alive), whose every connection passes the same address check
   * in its lookup, for a sender of many requests (webhook delivery) that uses undici directly. Check
   * each URL with `check` first (literal addresses never reach a lookup); follow no redirects.
   */
  function createAgent(agentOptions: {
    timeoutMs: number;
    connectionsPerOrigin?: number;
    keepAliveTimeoutMs?: number;
    /**
     * TLS options of its connections: more trusted certificates (`ca`), or an identity check that
     * also records the certificate the server presented (`checkServerIdentity`, MCP discovery).
     */
    tls?: Pick<ConnectionOptions, 'ca' | 'checkServerIdentity'>;
  }): Agent {
    return new Agent({
      connect: { lookup: lookup as never, timeout: agentOptions.timeoutMs, ...agentOptions.tls },
      headersTimeout: agentOptions.timeoutMs,
      bodyTimeout: agentOptions.timeoutMs,
      ...(agentOptions.connectionsPerOrigin ? { connections: agentOptions.connectionsPerOrigin } : {}),
      keepAliveTimeout: agentOptions.keepAliveTimeoutMs ?? 4_000,
    });
  }

  /** Check a URL before anything is sent: scheme, and literal addresses. */
  function check(input: string | URL): URL {
    const url = new URL(input);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundRequestRefused(`${url.protocol} URLs are not allowed.`);
    if (url.username || url.password) throw new OutboundRequestRefused('URLs with credentials are not allowed.');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !options.allowPrivateNetworks && !isPublicAddress(host)) {
      throw new OutboundRequestRefused(`${host} is not a public address.`);
    }
    if (url.protocol === 'http:' && !options.allowPrivateNetworks) {
      throw new OutboundRequestRefused('Only https:// URLs are allowed.');
    }
    return url;
  }

  const guardedFetch: GuardedFetch = async (input, init) => {
    const url = check(typeof input === 'string' || input instanceof URL ? input : (input as Request).url);
    const response = (await undiciFetch(url, { ...(init as object), dispatcher: agent, redirect: 'manual' } as never)) as unknown as Response;
    const max = options.maxResponseBytes ?? 1_048_576;
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > max) throw new OutboundRequestRefused(`The response is larger than ${max} bytes.`);
    return new Response(capped(response.body, max), { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  return { check, fetch: guardedFetch, createAgent, close: () => agent.close() };
}

export type OutboundGuard = ReturnType<typeof createOutboundGuard>;
