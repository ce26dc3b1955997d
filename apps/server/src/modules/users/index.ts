// The public surface of modules/users for other modules (ARCHITECTURE.md "Boundaries").
export { emailHash, type User, type UserRepository, type UserRow } from './user-repository.js';
export { eraseUserRow, isErased } from './user-erasure.js';
export { resealUsers } from './user-reseal.js';
