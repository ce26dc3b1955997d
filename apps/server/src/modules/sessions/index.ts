// The public surface of modules/sessions for other modules (ARCHITECTURE.md "Boundaries").
export type { IssuedSession, SessionService } from './session-service.js';
