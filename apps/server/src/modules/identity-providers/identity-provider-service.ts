import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { orgOf, type Database } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import type { createIdentityProviderSchema, updateIdentityProviderSchema } from '@aim/contracts';
import type { z } from 'zod';
import { newId } from '../../platform/ids.js';
import { isRefusedByGuard, type OutboundGuard } from '../../platform/net/outbound-guard.js';
import { toIdpError } from '../oidc/index.js';
import type { IdentityProviders } from '../oidc/index.js';

/**
 * An organization's own identity providers (presets for Google, Microsoft Entra ID and Okta, or any
 * OIDC issuer). The client secret is stored encrypted and never returned. The issuer is a URL an
 * admin typed: it passes the outbound guard, and its discovery document must load before the
 * provider is saved.
 */
type Preset = 'google' | 'microsoft' | 'okta' | 'oidc';

interface Row {
  id: string;
  preset: Preset;
  display_name: string;
  issuer: string;
  client_id: string;
  enabled: boolean;
  created_at: Date;
}

const PRESET_NAMES: Record<Preset, string> = { google: 'Google', microsoft: 'Microsoft', okta: 'Okta', oidc: 'Single sign-on' };

export function createIdentityProviderService(deps: {
  db: Database;
  keyring: Keyring;
  providers: IdentityProviders;
  outbound: OutboundGuard;
  publicBaseUrl: () => string;
}) {
  const { db, keyring, providers } = deps;
  const secretAad = (id: string) => `oidc_providers.client_secret:${id}`;
  const json = (r: Row) => ({
    id: r.id,
    preset: r.preset,
    displayName: r.display_name,
    issuer: r.issuer,
    clientId: r.client_id,
    enabled: r.enabled,
    signInUrl: `${deps.publicBaseUrl()}/api/v1/auth/oidc/${r.id}/start`,
    redirectUri: `${deps.publicBaseUrl()}/api/v1/auth/oidc/callback`,
    createdAt: r.created_at.toISOString(),
  });

  function issuerFor(input: { preset: Preset; issuer?: string | undefined; tenant?: string | undefined }): string {
    if (input.preset === 'google') return 'https://accounts.google.com';
    if (input.preset === 'microsoft') {
      if (!input.tenant) throw new AppError('validation_failed', 'tenant is required for Microsoft (your tenant id or domain).');
      return `https://login.microsoftonline.com/${input.tenant}/v2.0`;
    }
    if (!input.issuer) throw new AppError('validation_failed', `issuer is required for ${input.preset}.`);
    return input.issuer.replace(/\/+$/, '');
  }

  /** Load the provider's discovery document through the guard, or say why it cannot be used. */
  async function probe(id: string, organizationId: string, issuer: string, clientId: string, clientSecret: string) {
    try {
      deps.outbound.check(issuer);
    } catch (error) {
      throw new AppError('validation_failed', `The issuer cannot be used: ${(error as Error).message}`);
    }
    await providers.configuration({ id, displayName: '', issuer, clientId, clientSecret, organizationId }).catch((error: unknown) => {
      const refused = isRefusedByGuard(error);
      if (refused) throw new AppError('validation_failed', `The issuer cannot be used: ${refused.message}`);
      toIdpError(error);
    });
  }

  return {
    async list(ctx: OrgContext) {
      const { rows } = await db.transaction({ organizationId: ctx.organizationId }, (tx) =>
        tx.query<Row>('select * from oidc_providers where organization_id = $1 order by created_at, id', [orgOf(tx)]),
      );
      return rows.map(json);
    },

    async create(ctx: OrgContext, input: z.output<typeof createIdentityProviderSchema>) {
      const issuer = issuerFor(input);
      const id = newId('idp');
      await probe(id, ctx.organizationId, issuer, input.clientId, input.clientSecret);
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `insert into oidc_providers (id, organization_id, preset, display_name, issuer, client_id, client_secret_encrypted)
           values ($1, $2, $3, $4, $5, $6, $7) returning *`,
          [id, orgOf(tx), input.preset, input.displayName ?? PRESET_NAMES[input.preset], issuer, input.clientId, keyring.encrypt(input.clientSecret, secretAad(id))],
        );
        await recordAuditEvent(tx, ctx, { action: 'identity_provider.create', target: { type: 'identity_provider', id }, details: { preset: input.preset, issuer } });
        return json(rows[0]!);
      });
    },

    async update(ctx: OrgContext, id: string, input: z.output<typeof updateIdentityProviderSchema>) {
      const result = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `update oidc_providers set
             display_name = coalesce($3, display_name),
             enabled = coalesce($4, enabled),
             client_secret_encrypted = coalesce($5, client_secret_encrypted),
             updated_at = now()
           where organization_id = $1 and id = $2 returning *`,
          [orgOf(tx), id, input.displayName ?? null, input.enabled ?? null, input.clientSecret ? keyring.encrypt(input.clientSecret, secretAad(id)) : null],
        );
        if (!rows[0]) throw notFound('The identity provider');
        await recordAuditEvent(tx, ctx, {
          action: 'identity_provider.update',
          target: { type: 'identity_provider', id },
          details: { displayName: input.displayName, enabled: input.enabled, rotated: input.clientSecret !== undefined },
        });
        return json(rows[0]);
      });
      providers.forget(id);
      return result;
    },

    async remove(ctx: OrgContext, id: string): Promise<void> {
      await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rowCount } = await tx.query('delete from oidc_providers where organization_id = $1 and id = $2', [orgOf(tx), id]);
        if (!rowCount) throw notFound('The identity provider');
        await recordAuditEvent(tx, ctx, { action: 'identity_provider.delete', target: { type: 'identity_provider', id } });
      });
      providers.forget(id);
    },
  };
}

export type IdentityProviderService = ReturnType<typeof createIdentityProviderService>;
