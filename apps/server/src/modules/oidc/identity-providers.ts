import * as oidc from 'openid-client';
import type { DeploymentIdentityProvider } from '../../platform/config/env.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Database } from '../../platform/db/database.js';
import type { OutboundGuard } from '../../platform/net/outbound-guard.js';

/**
 * The identity providers people sign in with: those configured for the deployment (google,
 * microsoft, okta, oidc) and those an organization's admin configured (idp_… ids, client secret
 * stored encrypted). Discovery documents are fetched once and kept for an hour; a failed discovery
 * is not kept, so the next sign-in tries again.
 */
export interface IdentityProvider {
  id: string;
  displayName: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The organization that configured it; null for the deployment's own. */
  organizationId: string | null;
}

export class UnknownProviderError extends Error {}

const DISCOVERY_TTL_MS = 60 * 60_000;

/** Loopback issuers (a local IdP in development and tests) may use plain HTTP. */
function isLoopback(issuer: string): boolean {
  const host = new URL(issuer).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

export function createIdentityProviders(deps: {
  db: Database;
  keyring: Keyring;
  deployment: DeploymentIdentityProvider[];
  /** Organization providers are user-supplied URLs: every request to them goes through the guard. */
  outbound: OutboundGuard;
  allowPrivateNetworks: boolean;
}) {
  const configurations = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

  async function find(id: string): Promise<IdentityProvider> {
    const own = deps.deployment.find((p) => p.id === id);
    if (own) return { ...own, organizationId: null };
    if (!/^idp_[0-9a-z]{26}$/.test(id)) throw new UnknownProviderError(id);
    const { rows } = await deps.db.query<{
      id: string;
      organization_id: string;
      display_name: string;
      issuer: string;
      client_id: string;
      client_secret_encrypted: string;
      enabled: boolean;
    }>('select * from aim_oidc_provider($1)', [id]);
    const row = rows[0];
    if (!row || !row.enabled) throw new UnknownProviderError(id);
    return {
      id: row.id,
      displayName: row.display_name,
      issuer: row.issuer,
      clientId: row.client_id,
      clientSecret: deps.keyring.decrypt(row.client_secret_encrypted, `oidc_providers.client_secret:${row.id}`),
      organizationId: row.organization_id,
    };
  }

  function configuration(provider: IdentityProvider): Promise<oidc.Configuration> {
    const key = `${provider.id}|${provider.issuer}|${provider.clientId}`;
    const cached = configurations.get(key);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config;
    const guarded = provider.organizationId !== null;
    const plainHttp = new URL(provider.issuer).protocol === 'http:' && (guarded ? deps.allowPrivateNetworks : isLoopback(provider.issuer));
    const config = oidc.discovery(new URL(provider.issuer), provider.clientId, { client_secret: provider.clientSecret }, oidc.ClientSecretPost(provider.clientSecret), {
      ...(plainHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      ...(guarded ? { [oidc.customFetch]: deps.outbound.fetch as never } : {}),
    });
    configurations.set(key, { at: Date.now(), config });
    config.catch(() => configurations.delete(key));
    return config;
  }

  return {
    find,
    configuration,
    /** Forget cached discovery for a provider (after it changed or was removed). */
    forget(id: string) {
      for (const key of configurations.keys()) if (key.startsWith(`${id}|`)) configurations.delete(key);
    },
    deploymentProviders: () => deps.deployment.map((p) => ({ id: p.id, displayName: p.displayName })),
  };
}

export type IdentityProviders = ReturnType<typeof createIdentityProviders>;
