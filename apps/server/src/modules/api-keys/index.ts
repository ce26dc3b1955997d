// The public surface of modules/api-keys for other modules (ARCHITECTURE.md "Boundaries").
export { apiKeyJson, insertApiKey, type ApiKey } from './api-key-service.js';
/** An access review revokes a key or shortens its expiry in its own transaction (modules/access-reviews). */
export type { ApiKeyReviewActions } from './api-key-review-actions.js';
export { revokeApiKeysOf } from './api-key-erasure.js';
