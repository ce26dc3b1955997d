'use client';

import { POLICY_TYPES, createPolicySchema, policyConfigSchemas, updatePolicySchema, type PolicyType } from '@aim/contracts';
import type { z } from 'zod';

/**
 * The pieces the policy pages share: what each policy type does (in the words of docs/authorization.md
 * and the engine), one small sub-form per type's `config`, the scope editor, and the request schemas
 * with each type's own config schema added (createPolicySchema alone accepts any object as `config`).
 */

export const TYPE_LABEL: Record<PolicyType, string> = {
  capability_required: 'Capability required',
  resource_deny: 'Resource deny',
  time_window: 'Time window',
  rate_limit: 'Rate limit',
  require_approval: 'Require approval',
  data_volume: 'Data volume',
  min_trust: 'Minimum trust',
};

export const TYPE_HELP: Record<PolicyType, string> = {
  capability_required:
    'The base rule (an agent needs an unexpired grant covering the resource) always applies. This policy only sets its mode: when every applicable capability-required policy is in monitor mode, a missing grant is flagged instead of denied, for rolling AIM out without breaking agents. It has no settings.',
  resource_deny: 'Denies an action when its resource matches one of the patterns.',
  time_window: 'Denies actions outside every window (local time in the time zone; start ≤ time < end).',
  rate_limit:
    'Denies once more than the limit of decisions for the same agent and action fall in one fixed window. Every decision that reaches this policy counts, whatever its answer.',
  require_approval: 'Makes the decision pending (a person approves or rejects it) when the action’s risk is at least the minimum.',
  data_volume: 'Reads a number from the request’s context: above the maximum (or not a number) is denied or waits for approval.',
  min_trust: 'Denies when the agent’s trust score is below the minimum for the action’s risk.',
};

/** Policies have no priority: the engine takes them by type, in this order, then by id. */
export const EVALUATION_ORDER: PolicyType[] = ['resource_deny', 'time_window', 'rate_limit', 'data_volume', 'min_trust', 'require_approval'];

export const MODE_HELP = {
  enforce: 'Enforce: the policy decides. A deny blocks the action (and records a violation); an approval makes the decision wait for a person.',
  monitor:
    'Monitor: the policy is evaluated and its reason recorded with every decision, but what it would have decided becomes a flag: it never blocks, never makes a decision wait, and records no violation.',
} as const;

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Starting values when a type is chosen (suggestions the person can change; numbers start empty). */
export function configDefaults(type: PolicyType): Record<string, unknown> {
  switch (type) {
    case 'capability_required':
      return {};
    case 'resource_deny':
      return { resources: [''] };
    case 'time_window':
      return { timezone: browserTimeZone(), windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }] };
    case 'rate_limit':
      return { limit: undefined, windowSeconds: undefined };
    case 'require_approval':
      return { minRisk: 'high' };
    case 'data_volume':
      return { field: '', max: undefined, effect: 'deny', whenMissing: 'ignore' };
    case 'min_trust':
      return { minimums: {}, whenUnscored: 'require_approval' };
  }
}

function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Drops keys whose value is undefined (an empty optional box), as JSON would: `{ low: undefined }` is `{}`. */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, clean(v)]),
    ) as T;
  }
  return value;
}

function checkConfig(type: PolicyType, config: unknown, ctx: z.RefinementCtx) {
  const parsed = policyConfigSchemas[type].safeParse(clean(config ?? {}));
  if (parsed.success) return;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['config', ...issue.path] });
}

/** createPolicySchema, with the chosen type's config schema applied to `config`. */
export const createPolicyFormSchema = createPolicySchema.superRefine((value, ctx) => checkConfig(value.type, value.config, ctx));

/** updatePolicySchema, with the policy's (fixed) type's config schema applied to `config`. */
export function updatePolicyFormSchema(type: PolicyType) {
  return updatePolicySchema.superRefine((value, ctx) => {
    if (value.config !== undefined) checkConfig(type, value.config, ctx);
  });
}
/** A one-line summary of a scope, for lists. */
export function scopeSummary(
  scope: { agentIds?: string[] | undefined; tags?: string[] | undefined; actions?: string[] | undefined },
  names?: Map<string, string>,
): string {
  const parts: string[] = [];
  if (scope.agentIds?.length) parts.push(`agents: ${scope.agentIds.map((a) => names?.get(a) ?? a).join(', ')}`);
  if (scope.tags?.length) parts.push(`tags: ${scope.tags.join(', ')}`);
  if (scope.actions?.length) parts.push(`actions: ${scope.actions.join(', ')}`);
  return parts.length ? parts.join(' · ') : 'every agent and action';
}

/** A readable value for a setting: lists joined, objects as short JSON, absent as "—". */
export function show(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.map(show).join(', ') : '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Flattens settings to dotted paths (`config.windows.0.start`), for a per-field difference. */
function flatten(value: unknown, path: string, out: Map<string, unknown>) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) out.set(path, undefined);
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(value) && value.some((v) => v && typeof v === 'object')) {
    value.forEach((v, i) => flatten(v, `${path}.${i}`, out));
  } else {
    out.set(path, value);
  }
}

export interface Change {
  field: string;
  from: string;
  to: string;
}

type Settings = {
  name: string;
  description: string | null;
  mode: string;
  enabled: boolean;
  scope: unknown;
  config: unknown;
  deletedAt: string | null;
};

/** What differs between two versions' settings, field by field. */
export function diffVersions(before: Settings, after: Settings): Change[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  const pick = (v: Settings) => ({
    name: v.name,
    description: v.description,
    mode: v.mode,
    enabled: v.enabled,
    scope: v.scope,
    config: v.config,
    deleted: v.deletedAt !== null,
  });
  flatten(pick(before), '', a);
  flatten(pick(after), '', b);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => ({ field: k, from: show(a.get(k)), to: show(b.get(k)) }))
    .filter((c) => c.from !== c.to);
}

export const POLICY_TYPE_OPTIONS = POLICY_TYPES.map((t) => ({ value: t, label: TYPE_LABEL[t] }));

/** The message a policy form shows when it is saved with the JSON editor still open. */
export const JSON_OPEN = {
  error: { code: 'json_not_applied', message: 'The settings are open as JSON: choose "Use this JSON" or "Back to the form" before saving.' },
};
