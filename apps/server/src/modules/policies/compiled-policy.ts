import type { PolicyConfig, PolicyMode, PolicyScope, PolicyType } from '@aim/contracts';

/** A policy as the decision engine takes it (modules/decisions/policy-engine.ts): loadPolicySet reads them. */
export interface CompiledPolicy {
  id: string;
  version: number;
  name: string;
  type: PolicyType;
  mode: PolicyMode;
  scope: PolicyScope;
  /** Already parsed with the schema for its type, defaults applied. */
  config: PolicyConfig;
}
