// The public surface of modules/capabilities for other modules (ARCHITECTURE.md "Boundaries").
/** An access review revokes a grant or shortens its expiry in its own transaction (modules/access-reviews). */
export { grantReviewActions, type GrantReviewActions } from './grant-review-actions.js';
