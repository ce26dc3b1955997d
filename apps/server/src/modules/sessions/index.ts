// The public surface of modules/sessions for other modules (ARCHITECTURE.md "Boundaries").
export type { IssuedSession, SessionService } from './session-service.js';
export { openSessions } from './session-service.js';
export type { SessionRow } from './session-repository.js';
export { deleteSessionsOf } from './session-erasure.js';
export { resealSessions } from './session-reseal.js';
