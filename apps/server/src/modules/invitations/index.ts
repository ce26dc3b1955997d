// The public surface of modules/invitations for other modules (ARCHITECTURE.md "Boundaries").
export { assertUsable, type InvitationService } from './invitation-service.js';
export { deleteInvitationsOf, revokeInvitationsSentBy } from './invitation-erasure.js';
