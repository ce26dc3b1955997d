import { isIP } from 'node:net';
import type { Config } from './env.js';

/**
 * AIM's public origin: the one answer to "what is AIM's address?". Links people receive, the OIDC
 * redirect URI, the passkey relying party, the origins trusted for cookie-authenticated changes, the
 * base URL agents sign and the issuer of agent tokens all come from here, never from a request's
 * Host header (a client chooses that header; nothing bound to AIM's identity may follow it).
 *
 * It is PUBLIC_URL when set. Otherwise it is `http://localhost:<port>`: browsers treat
 * http://localhost as a secure context and accept `localhost` as a relying party id, so passkeys work
 * out of the box, which they do not at http://127.0.0.1. With PORT=0 the port is the one actually
 * bound: the server reports it when it listens (`bindPort`), before any request is served.
 */
export interface PublicOrigin {
  /** `scheme://host[:port]` (the default port omitted): what browsers send as Origin. */
  readonly origin: string;
  /** The origin plus PUBLIC_URL's path, if any, without a trailing slash: what links and agents start with. */
  readonly baseUrl: string;
  /** The host name: the passkey relying party id. */
  readonly hostname: string;
  /** `host[:port]` as a Host header names it (default port omitted, lower case). */
  readonly host: string;
  readonly https: boolean;
  /** PUBLIC_URL was set (false: the default `http://localhost:<port>`). */
  readonly configured: boolean;
  /** Whether a request's Host header (or X-Forwarded-Host behind a trusted proxy) names the public host. */
  isPublicHost(requestHost: string | undefined): boolean;
  /** The server listens on `port`: the default origin takes it (a configured PUBLIC_URL does not change). */
  bindPort(port: number): void;
}

const isLocalhostName = (hostname: string): boolean => hostname === 'localhost' || hostname.endsWith('.localhost');

/**
 * Why PUBLIC_URL cannot be used, in words that say what to set; undefined when it can.
 * `serveDashboard`: whether people sign in at this address (a path prefix breaks the dashboard's
 * absolute paths and the session cookies' paths; agents and API keys cope with it).
 */
export function publicUrlProblem(value: string, serveDashboard: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'PUBLIC_URL: must be the URL people use to reach AIM, such as https://aim.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `PUBLIC_URL: must start with https:// (or http:// for http://localhost), not ${url.protocol}//`;
  }
  if (url.username || url.password) return 'PUBLIC_URL: must not carry a user name or password';
  if (url.search || url.hash || value.includes('?') || value.includes('#')) {
    return `PUBLIC_URL: must not carry a query or a fragment; set it to ${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname) !== 0) {
    return (
      `PUBLIC_URL: ${url.hostname} is an IP address, and browsers refuse passkeys on one (a WebAuthn relying party id ` +
      `must be a domain name). Set PUBLIC_URL to a name that reaches this server, such as https://aim.example.com, ` +
      `or http://localhost:<PORT> on this machine alone`
    );
  }
  if (serveDashboard && url.pathname !== '/') {
    return (
      `PUBLIC_URL: the dashboard and sign-in are served at the root of a host, not under ${url.pathname}: set PUBLIC_URL to ` +
      `${url.origin} and give AIM its own host name (or set SERVE_DASHBOARD=false for an API used by agents and API keys only)`
    );
  }
  return undefined;
}

/** What works but will surprise: printed at start-up, beside the banner. */
export function publicUrlWarnings(config: Pick<Config, 'publicUrl' | 'host'>): string[] {
  const warnings: string[] = [];
  if (config.publicUrl) {
    const url = new URL(config.publicUrl);
    if (url.protocol === 'http:' && !isLocalhostName(url.hostname)) {
      warnings.push(
        `PUBLIC_URL is plain http on ${url.hostname}: browsers create and use passkeys only on https (or http://localhost), ` +
          'and session cookies would travel unencrypted. Put AIM behind TLS and set PUBLIC_URL to its https:// address.',
      );
    }
  } else if (!isLoopbackListener(config.host)) {
    warnings.push(
      `AIM listens on ${config.host} without PUBLIC_URL, so it names itself http://localhost: browsers on other machines are sent ` +
        'there, and agents must sign that address. Set PUBLIC_URL to the https:// address people and agents use.',
    );
  }
  return warnings;
}

export function isLoopbackListener(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function createPublicOrigin(config: Pick<Config, 'publicUrl' | 'port'>): PublicOrigin {
  const configured = config.publicUrl !== undefined;
  let url = new URL(config.publicUrl ?? `http://localhost:${config.port}`);
  const hostOf = (requestHost: string): string | undefined => {
    try {
      return new URL(`${url.protocol}//${requestHost}`).host;
    } catch {
      return undefined;
    }
  };
  return {
    get origin() {
      return url.origin;
    },
    get baseUrl() {
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    },
    get hostname() {
      return url.hostname;
    },
    get host() {
      return url.host;
    },
    https: url.protocol === 'https:',
    configured,
    isPublicHost(requestHost) {
      return requestHost !== undefined && requestHost !== '' && hostOf(requestHost) === url.host;
    },
    bindPort(port) {
      if (!configured) url = new URL(`http://localhost:${port}`);
    },
  };
}
