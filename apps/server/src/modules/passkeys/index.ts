// The public surface of modules/passkeys for other modules (ARCHITECTURE.md "Boundaries").
export { CHALLENGE_TTL_MS, insertPasskey, invalid, relyingParty, type RelyingParty } from './passkey-service.js';
export { deletePasskeysOf } from './passkey-erasure.js';
