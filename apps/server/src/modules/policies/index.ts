// The public surface of modules/policies for other modules (ARCHITECTURE.md "Boundaries").
export type { CompiledPolicy } from './compiled-policy.js';
export { loadPolicySet } from './policy-service.js';
