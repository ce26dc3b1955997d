// The public surface of modules/passkeys for other modules (ARCHITECTURE.md "Boundaries").
export { relyingParty } from './passkey-routes.js';
export { CHALLENGE_TTL_MS, insertPasskey, invalid, type RelyingParty } from './passkey-service.js';
