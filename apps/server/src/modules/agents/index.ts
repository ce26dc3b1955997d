// The public surface of modules/agents for other modules (ARCHITECTURE.md "Boundaries").
export { managesAll } from './agent-owner.js';
export { agentRepository, type AgentRow } from './agent-repository.js';
