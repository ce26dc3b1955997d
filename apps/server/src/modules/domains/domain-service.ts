import { recordAuditEvent } from '../../platform/audit/audit-log.js';
import { randomToken } from '../../platform/crypto/tokens.js';
import { orgOf, type Database } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/http/app-error.js';
import type { OrgContext } from '../../platform/http/operation.js';
import type { claimDomainSchema } from '@aim/contracts';
import type { z } from 'zod';

/**
 * Email domains an organization claims: once verified by a DNS TXT record, people signing in with a
 * verified address at that domain join the organization with the domain's default role. A domain can
 * be verified by one organization only.
 */
type DefaultRole = 'manager' | 'member' | 'viewer';

interface Row {
  domain: string;
  default_role: DefaultRole;
  verification_token: string;
  verified_at: Date | null;
  created_at: Date;
}

export const TXT_PREFIX = '_aim-challenge';

const json = (r: Row) => ({
  domain: r.domain,
  defaultRole: r.default_role,
  verified: r.verified_at !== null,
  verifiedAt: r.verified_at?.toISOString() ?? null,
  verification: { recordName: `${TXT_PREFIX}.${r.domain}`, recordValue: `aim-domain-verification=${r.verification_token}` },
  createdAt: r.created_at.toISOString(),
});

export function createDomainService(deps: { db: Database; dnsTxt: (name: string) => Promise<string[][]> }) {
  const { db } = deps;
  return {
    async list(ctx: OrgContext) {
      const { rows } = await db.transaction({ organizationId: ctx.organizationId }, (tx) =>
        tx.query<Row>('select * from organization_domains where organization_id = $1 order by domain', [orgOf(tx)]),
      );
      return rows.map(json);
    },

    async claim(ctx: OrgContext, input: z.output<typeof claimDomainSchema>) {
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>(
          `insert into organization_domains (organization_id, domain, default_role, verification_token)
           values ($1, $2, $3, $4) on conflict (organization_id, domain) do nothing returning *`,
          [orgOf(tx), input.domain, input.defaultRole, randomToken(24)],
        );
        if (!rows[0]) throw new AppError('conflict', `${input.domain} is already claimed by your organization.`);
        await recordAuditEvent(tx, ctx, { action: 'domain.claim', target: { type: 'domain', id: input.domain }, details: { defaultRole: input.defaultRole } });
        return json(rows[0]);
      });
    },

    async verify(ctx: OrgContext, domain: string) {
      const claim = await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rows } = await tx.query<Row>('select * from organization_domains where organization_id = $1 and domain = $2', [orgOf(tx), domain]);
        return rows[0];
      });
      if (!claim) throw notFound('The domain');
      if (claim.verified_at) return json(claim);
      const expected = `aim-domain-verification=${claim.verification_token}`;
      let records: string[][];
      try {
        records = await deps.dnsTxt(`${TXT_PREFIX}.${domain}`);
      } catch {
        records = [];
      }
      if (!records.some((chunks) => chunks.join('') === expected)) {
        throw new AppError('conflict', `No TXT record ${TXT_PREFIX}.${domain} with the value "${expected}" was found yet; DNS changes can take a while.`);
      }
      return db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        try {
          const { rows } = await tx.query<Row>(
            'update organization_domains set verified_at = now() where organization_id = $1 and domain = $2 returning *',
            [orgOf(tx), domain],
          );
          await recordAuditEvent(tx, ctx, { action: 'domain.verify', target: { type: 'domain', id: domain } });
          return json(rows[0]!);
        } catch (error) {
          if ((error as { code?: string }).code === '23505') throw new AppError('conflict', `${domain} is already verified by another organization.`);
          throw error;
        }
      });
    },

    async release(ctx: OrgContext, domain: string): Promise<void> {
      await db.transaction({ organizationId: ctx.organizationId }, async (tx) => {
        const { rowCount } = await tx.query('delete from organization_domains where organization_id = $1 and domain = $2', [orgOf(tx), domain]);
        if (!rowCount) throw notFound('The domain');
        await recordAuditEvent(tx, ctx, { action: 'domain.release', target: { type: 'domain', id: domain } });
      });
    },
  };
}

export type DomainService = ReturnType<typeof createDomainService>;
