/**
 * The one permission table is PERMISSION_TABLE in packages/contracts/src/roles.ts (the dashboard and
 * docs/permissions.md read the same table). Each API operation names its permission once, in its
 * declaration's `access`; the gate (platform/auth/authenticate.ts) checks it before the handler runs, so
 * services take an OrgContext instead of checking again. `can` answers the resource-level questions a
 * service still asks (may this role act on every agent, or only its own?).
 */
export { PERMISSION_TABLE, can } from '@aim/contracts';
