// The public surface of modules/agents for other modules (ARCHITECTURE.md "Boundaries").
import type { AgentService } from './agent-service.js';
export { managesAll } from './agent-owner.js';
export { agentRepository, type AgentRow } from './agent-repository.js';
/** The system suspends an active agent (automatic suspension on a critical alert: modules/monitoring). */
export type SuspendAgentAsSystem = AgentService['suspendAsSystem'];
/** An access review revokes an agent in its own transaction (modules/access-reviews). */
export type { AgentReviewActions } from './agent-review-actions.js';
