// The public surface of modules/oidc for other modules (ARCHITECTURE.md "Boundaries").
export type { IdentityProviders } from './identity-providers.js';
export { toIdpError } from './oidc-service.js';
export { deleteIdentitiesOf } from './identity-erasure.js';
