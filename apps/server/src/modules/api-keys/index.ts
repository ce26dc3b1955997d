// The public surface of modules/api-keys for other modules (ARCHITECTURE.md "Boundaries").
export { apiKeyJson, insertApiKey, type ApiKey } from './api-key-service.js';
export { revokeApiKeysOf } from './api-key-erasure.js';
