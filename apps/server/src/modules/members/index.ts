// The public surface of modules/members for other modules (ARCHITECTURE.md "Boundaries").
export { membershipRepository } from './membership-repository.js';
