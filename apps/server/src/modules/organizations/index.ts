// The public surface of modules/organizations for other modules (ARCHITECTURE.md "Boundaries").
export { organizationJson, organizationRepository, type Organization } from './organization-repository.js';
