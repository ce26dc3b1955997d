import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '../../platform/http/app-error.js';
import { isPublicAddress, isRefusedByGuard, type OutboundGuard } from '../../platform/net/outbound-guard.js';

/**
 * Whether a webhook URL can be used, checked when an endpoint is created or its URL changes: the
 * outbound guard's check (scheme, credentials, literal addresses), https when AIM's own public URL is
 * https, and the host name resolved now, every address public (unless the deployment allows private
 * networks). The sender checks every address again on each attempt (DNS can change); this check is so
 * that a mistake is told to the person making it, not found days later in the delivery log.
 */
export interface WebhookUrlPolicy {
  outbound: Pick<OutboundGuard, 'check'>;
  /** OUTBOUND_ALLOW_PRIVATE_NETWORKS: http, and internal and loopback addresses. */
  allowPrivateNetworks: boolean;
  /** AIM's public URL is https: events leave over https only, whatever else is allowed. */
  publicHttps: () => boolean;
  /** Every address a host name resolves to (node:dns lookup by default). */
  resolve?: (hostname: string) => Promise<string[]>;
}

const refused = (message: string) => new AppError('webhook_url_refused', `url cannot be used: ${message}`);

const resolveAll = async (hostname: string): Promise<string[]> => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** The URL as stored (normalized), or a `webhook_url_refused` error saying what is wrong. */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): Promise<string> {
  let url: URL;
  try {
    url = policy.outbound.check(raw);
  } catch (error) {
    const guard = isRefusedByGuard(error);
    throw refused(guard ? guard.message : 'it is not a valid URL.');
  }
  if (url.protocol === 'http:' && policy.publicHttps()) {
    throw refused('AIM is served over https, so events leave over https only; use an https:// URL.');
  }
  if (url.hash) throw refused('it must have no fragment (#…).');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host)) return url.href; // literal addresses: the guard's check above decided
  if (!policy.allowPrivateNetworks && (host === 'localhost' || host.endsWith('.localhost'))) {
    throw refused(`${host} is a loopback name.`);
  }
  let addresses: string[];
  try {
    addresses = await (policy.resolve ?? resolveAll)(host);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw refused(
      code === 'ENOTFOUND' || code === 'ENODATA'
        ? `${host} does not resolve (no DNS record); check the host name.`
        : `${host} could not be resolved now (${code ?? 'DNS error'}); try again.`,
    );
  }
  if (addresses.length === 0) throw refused(`${host} does not resolve (no DNS record); check the host name.`);
  if (!policy.allowPrivateNetworks) {
    const inner = addresses.find((address) => !isPublicAddress(address));
    if (inner) throw refused(`${host} resolves to ${inner}, which is not a public address (private, loopback or cloud metadata).`);
  }
  return url.href;
}

/** The URL for the audit log and messages: without its query, which may carry a receiver's token. */
export function urlForAudit(href: string): string {
  const url = new URL(href);
  return `${url.origin}${url.pathname}`;
}
