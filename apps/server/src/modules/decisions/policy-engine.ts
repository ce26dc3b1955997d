import { riskRank } from '@aim/contracts';
import type { AgentStatus, Decision, DecisionReason, DecisionRule, McpServerStatus, PolicyConfig, PolicyScope, PolicyType, RiskLevel } from '@aim/contracts';
import type { CompiledPolicy } from '../policies/index.js';

/**
 * The decision engine: may this agent take this action now? Pure and deterministic: the same input
 * gives the same evaluation, whatever the order of `policies` and `grants`.
 *
 * 0. **agent_status**: when the agent's status is given and is not `active`, a deny reason comes first
 *    (the rest is still evaluated). The decision endpoint never hits it (only active agents get there);
 *    the re-evaluation at approval does.
 * 1. **unknown_capability**: an action missing from the catalog is denied; nothing else is evaluated.
 *    Otherwise the risk is the higher of the catalog's level and the agent's declared one.
 * 1b. **mcp_tool** (an MCP tool's action, `mcp:<server>/<tool>`, whose catalog entry names its
 *    server): denied when the server is not `approved` or `drifted`, when the tool has no pin (not
 *    among the approved tools), or when its pin is blocked (it drifted and the organization blocks
 *    drifted tools); otherwise a `pass` reason says how the tool stands. The rest is still evaluated.
 * 2. **capability_required** (always, built in): a grant satisfies it if it has not expired
 *    (`expiresAt > now`) and its pattern covers the resource (a null pattern covers any resource,
 *    including none; a pattern never covers a missing resource). Among satisfying grants, one with a
 *    pattern wins over one without, then the lowest id. Without one the rule denies, unless every
 *    applicable capability_required policy is in monitor mode: then it flags. The reason names the
 *    deciding policy (the first enforcing one by id, else the first monitoring one) or, with none
 *    applicable, the built-in rule (null policy, mode enforce).
 * 3. Applicable policies (every given scope field matches: `agentIds` holds the agent, `tags` shares a
 *    tag with it, an `actions` pattern matches the action; an empty list matches nothing), by type in
 *    the order resource_deny, time_window, rate_limit, data_volume, min_trust, require_approval, and by
 *    id within a type. Each gives one reason. In monitor mode, a deny or an approval becomes a `flag`
 *    and never decides.
 * 4. Any deny → deny; else any approval → pending; else allow. `flagged` when some reason is a flag;
 *    one violation per deny reason.
 *
 * `evaluateApproval` is the same evaluation when a person approves a pending decision: rate limits are
 * left out (the request was counted when it was asked) and the approval answers every `approval`
 * reason, so the answer is allow or deny.
 *
 * Patterns (resources, scope actions): `*` matches any run of characters but `/`, `**` any run, the
 * rest is literal; the whole value must match. Matching is linear in pattern × value (no regular
 * expressions, so no catastrophic backtracking on agent-supplied resources); matchers are cached.
 */

/** The policies come from modules/policies (loadPolicySet), in this shape. */
export type { CompiledPolicy };

export interface GrantFact {
  id: string;
  resourcePattern: string | null;
  /** Epoch ms. */
  expiresAt: number | null;
}

/** How an MCP tool's action stands: its server's status and the tool's pin (null: the tool is not among the approved ones). */
export interface McpToolFact {
  serverId: string;
  serverStatus: McpServerStatus;
  pin: { state: 'pinned' | 'changed' | 'removed'; blocked: boolean } | null;
}

export interface EvaluationInput {
  /** `status`, when given, is checked first (agent_status); the decision endpoint leaves it out (only active agents get there). */
  agent: { id: string; tags: readonly string[]; trustScore: number | null; status?: AgentStatus | undefined };
  action: string;
  resource: string | null;
  context: Readonly<Record<string, unknown>>;
  /** null: the action is not in the organization's catalog. `mcp`: the action is an MCP server's tool. */
  capability: { name: string; riskLevel: RiskLevel; mcp?: McpToolFact | undefined } | null;
  declaredRisk: RiskLevel | null;
  /** The agent's unrevoked grants of this capability; the engine checks expiry against `now`. */
  grants: readonly GrantFact[];
  /** The organization's enabled policies, in any order. */
  policies: readonly CompiledPolicy[];
  /** Per rate_limit policy id: decisions counted in the current window, including this one. */
  rateCounts: ReadonlyMap<string, number>;
  /** Epoch ms. */
  now: number;
}

export interface Evaluation {
  decision: Decision;
  /** max(catalog risk, declared risk); null for an unknown capability. */
  risk: RiskLevel | null;
  reasons: DecisionReason[];
  /** Some monitor-mode policy would have denied or asked for approval. */
  flagged: boolean;
  /** One per deny reason. */
  violations: Array<{ rule: DecisionRule; policyId: string | null; policyVersion: number | null }>;
  /** The grant that satisfied the base rule. */
  grantId: string | null;
}

type CheckedType = Exclude<PolicyType, 'capability_required'>;
type Outcome = 'deny' | 'approval' | 'pass' | 'info';
type Day = PolicyConfig<'time_window'>['windows'][number]['days'][number];

const CHECKED_TYPES = ['resource_deny', 'time_window', 'rate_limit', 'data_volume', 'min_trust', 'require_approval'] as const satisfies readonly CheckedType[];

/** The order in which rules are evaluated (and reasons listed). */
export const EVALUATION_ORDER: readonly DecisionRule[] = Object.freeze(['agent_status', 'unknown_capability', 'mcp_tool', 'capability_required', ...CHECKED_TYPES]);

const TYPE_RANK: Record<PolicyType, number> = {
  capability_required: 0,
  resource_deny: 1,
  time_window: 2,
  rate_limit: 3,
  data_volume: 4,
  min_trust: 5,
  require_approval: 6,
};

export function evaluate(input: EvaluationInput): Evaluation {
  const status = input.agent.status;
  const statusReasons: DecisionReason[] =
    status === undefined || status === 'active'
      ? []
      : [{ rule: 'agent_status', effect: 'deny', message: `agent is ${status}`, policyId: null, policyVersion: null, mode: null }];
  if (input.capability === null) return combine([...statusReasons, unknownCapabilityReason(input.action)], null, null);
  const risk = higherRisk(input.capability.riskLevel, input.declaredRisk);
  const applicable = applicablePolicies(input.policies, input.agent, input.action);
  let firstChecked = 0;
  while (applicable[firstChecked]?.type === 'capability_required') firstChecked++;

  const grant = pickGrant(input.grants, input.resource, input.now);
  const mcp = input.capability.mcp;
  const reasons: DecisionReason[] = [...statusReasons, ...(mcp ? [mcpToolReason(input.action, mcp)] : []), baseReason(input, grant, decidingPolicy(applicable, firstChecked))];
  for (let i = firstChecked; i < applicable.length; i++) {
    const policy = applicable[i]!;
    reasons.push(CHECKS[policy.type as CheckedType](policy, input, risk));
  }
  return combine(reasons, risk, grant?.id ?? null);
}

/**
 * A pending decision re-evaluated when a person approves it, with the facts as of now (the agent's
 * status, tags and trust score, its grants, the catalog, the policies of the current revision, the
 * clock). Rate limits are not evaluated again: the request was counted, and checked, when it was
 * asked. Every `approval` reason is what the person answers, so it is satisfied; any deny still
 * denies. The decision is `allow` or `deny`, never `pending`.
 */
export function evaluateApproval(input: Omit<EvaluationInput, 'rateCounts'>): Evaluation & { decision: 'allow' | 'deny' } {
  const evaluation = evaluate({ ...input, policies: input.policies.filter((p) => p.type !== 'rate_limit'), rateCounts: new Map() });
  return { ...evaluation, decision: evaluation.decision === 'deny' ? 'deny' : 'allow' };
}

export function applicablePolicies(policies: readonly CompiledPolicy[], agent: { id: string; tags: readonly string[] }, action: string): CompiledPolicy[] {
  const applicable: CompiledPolicy[] = [];
  for (const policy of policies) if (isInScope(policy.scope, agent, action)) applicable.push(policy);
  return applicable.sort(byEvaluationOrder);
}

function isInScope(scope: PolicyScope, agent: { id: string; tags: readonly string[] }, action: string): boolean {
  const { agentIds, tags, actions } = scope;
  if (agentIds !== undefined && !agentIds.includes(agent.id)) return false;
  if (tags !== undefined && !tags.some((tag) => agent.tags.includes(tag))) return false;
  if (actions !== undefined && !actions.some((pattern) => matchesPattern(pattern, action))) return false;
  return true;
}

function byEvaluationOrder(a: CompiledPolicy, b: CompiledPolicy): number {
  return TYPE_RANK[a.type] - TYPE_RANK[b.type] || (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version);
}

function unknownCapabilityReason(action: string): DecisionReason {
  return { rule: 'unknown_capability', effect: 'deny', message: `${action} is not in the organization's capability catalog`, policyId: null, policyVersion: null, mode: null };
}

/** Step 1b: an MCP tool is decided on only while its server is approved (or drifted) and its approved definition is not blocked. */
function mcpToolReason(action: string, mcp: McpToolFact): DecisionReason {
  const reason = (effect: 'deny' | 'pass', message: string): DecisionReason => ({ rule: 'mcp_tool', effect, message, policyId: null, policyVersion: null, mode: null });
  if (mcp.serverStatus !== 'approved' && mcp.serverStatus !== 'drifted') {
    const what = mcp.serverStatus === 'suspended' || mcp.serverStatus === 'revoked' ? `is ${mcp.serverStatus}` : `is ${mcp.serverStatus}, not approved`;
    return reason('deny', `the MCP server of ${action} ${what}; its tools are decided on only while a manager's approval stands`);
  }
  if (mcp.pin === null) {
    return reason('deny', `${action} is not among the approved tools of its MCP server; a manager approves the server's current tools to allow it`);
  }
  if (mcp.pin.blocked) {
    const how = mcp.pin.state === 'removed' ? 'is no longer offered by the server' : 'changed since it was approved';
    return reason('deny', `${action} ${how} and is blocked until a manager reviews the change and re-approves the server's tools`);
  }
  if (mcp.pin.state !== 'pinned') return reason('pass', `${action} ${mcp.pin.state} since it was approved; blocking of drifted tools is off`);
  return reason('pass', `${action} matches its approved definition`);
}

function higherRisk(catalog: RiskLevel, declared: RiskLevel | null): RiskLevel {
  return declared !== null && riskRank(declared) > riskRank(catalog) ? declared : catalog;
}

function combine(reasons: DecisionReason[], risk: RiskLevel | null, grantId: string | null): Evaluation {
  let denied = false;
  let awaitsApproval = false;
  let flagged = false;
  const violations: Evaluation['violations'] = [];
  for (const reason of reasons) {
    if (reason.effect === 'deny') {
      denied = true;
      violations.push({ rule: reason.rule, policyId: reason.policyId, policyVersion: reason.policyVersion });
    } else if (reason.effect === 'approval') awaitsApproval = true;
    else if (reason.effect === 'flag') flagged = true;
  }
  return { decision: denied ? 'deny' : awaitsApproval ? 'pending' : 'allow', risk, reasons, flagged, violations, grantId };
}

// ---- Step 2: the base rule ----------------------------------------------------------------------

function isLive(grant: GrantFact, now: number): boolean {
  return grant.expiresAt === null || grant.expiresAt > now;
}

function covers(grant: GrantFact, resource: string | null): boolean {
  return grant.resourcePattern === null || (resource !== null && matchesPattern(grant.resourcePattern, resource));
}

function pickGrant(grants: readonly GrantFact[], resource: string | null, now: number): GrantFact | null {
  let best: GrantFact | null = null;
  for (const grant of grants) {
    if (!isLive(grant, now) || !covers(grant, resource)) continue;
    if (best === null) best = grant;
    else if ((grant.resourcePattern === null) !== (best.resourcePattern === null)) {
      if (grant.resourcePattern !== null) best = grant;
    } else if (grant.id < best.id) best = grant;
  }
  return best;
}

/** Applicable policies are sorted, capability_required ones first: the first enforcing one, else the first. */
function decidingPolicy(applicable: readonly CompiledPolicy[], count: number): CompiledPolicy | null {
  for (let i = 0; i < count; i++) if (applicable[i]!.mode === 'enforce') return applicable[i]!;
  return count > 0 ? applicable[0]! : null;
}

function baseReason(input: EvaluationInput, grant: GrantFact | null, policy: CompiledPolicy | null): DecisionReason {
  const policyId = policy?.id ?? null;
  const policyVersion = policy?.version ?? null;
  const mode = policy?.mode ?? 'enforce';
  if (grant !== null) {
    const covered = grant.resourcePattern === null ? 'any resource' : `${input.resource} (pattern ${grant.resourcePattern})`;
    const message = `grant ${grant.id} of ${input.action} covers ${covered}`;
    return { rule: 'capability_required', effect: 'allow', message, policyId, policyVersion, mode, grantId: grant.id };
  }
  const message = missingGrantMessage(input);
  if (mode === 'monitor') {
    return { rule: 'capability_required', effect: 'flag', message: `monitor: would deny — ${message}`, policyId, policyVersion, mode };
  }
  return { rule: 'capability_required', effect: 'deny', message, policyId, policyVersion, mode };
}

function missingGrantMessage({ action, resource, grants }: EvaluationInput): string {
  if (grants.length === 0) return `agent holds no grant of ${action}${resource === null ? '' : ` covering ${resource}`}; request the capability`;
  // No grant satisfied the rule, so any grant that covers the resource has expired: name the latest.
  let expired: GrantFact | null = null;
  for (const grant of grants) {
    if (covers(grant, resource) && (expired === null || (grant.expiresAt ?? 0) > (expired.expiresAt ?? 0))) expired = grant;
  }
  if (expired !== null) {
    return `grant ${expired.id} of ${action} expired at ${new Date(expired.expiresAt ?? 0).toISOString()}; request the capability again`;
  }
  // Only grants with a pattern fail to cover.
  const patterns = [...new Set(grants.map((grant) => grant.resourcePattern ?? ''))].sort();
  const shown = patterns.slice(0, 5).join(', ') + (patterns.length > 5 ? `, … (${patterns.length} patterns)` : '');
  if (resource === null) {
    return `agent's grants of ${action} are limited to resources ${shown} and no resource was given; send the resource the action applies to`;
  }
  return `agent's grants of ${action} cover ${shown}, which does not cover ${resource}; request the capability for this resource`;
}

// ---- Step 3: policies ---------------------------------------------------------------------------

type Check = (policy: CompiledPolicy, input: EvaluationInput, risk: RiskLevel) => DecisionReason;

const CHECKS: Record<CheckedType, Check> = {
  resource_deny: checkResourceDeny,
  time_window: checkTimeWindow,
  rate_limit: checkRateLimit,
  data_volume: checkDataVolume,
  min_trust: checkMinTrust,
  require_approval: checkRequireApproval,
};

function policyReason(policy: CompiledPolicy, outcome: Outcome, message: string): DecisionReason {
  const { id: policyId, version: policyVersion, mode } = policy;
  if (mode === 'monitor' && (outcome === 'deny' || outcome === 'approval')) {
    const would = outcome === 'deny' ? 'deny' : 'require approval';
    return { rule: policy.type, effect: 'flag', message: `monitor: would ${would} — ${message}`, policyId, policyVersion, mode };
  }
  return { rule: policy.type, effect: outcome, message, policyId, policyVersion, mode };
}

function checkResourceDeny(policy: CompiledPolicy, { resource }: EvaluationInput): DecisionReason {
  if (resource === null) return policyReason(policy, 'pass', 'no resource given');
  const { resources } = policy.config as PolicyConfig<'resource_deny'>;
  for (const pattern of resources) {
    if (matchesPattern(pattern, resource)) return policyReason(policy, 'deny', `resource ${resource} matches the denied pattern ${pattern}`);
  }
  return policyReason(policy, 'pass', `resource ${resource} matches none of the denied patterns`);
}

function checkTimeWindow(policy: CompiledPolicy, { now }: EvaluationInput): DecisionReason {
  const { timezone, windows } = policy.config as PolicyConfig<'time_window'>;
  const local = localClock(timezone, now);
  if (local === null) return policyReason(policy, 'deny', `cannot tell the time in ${timezone}`);
  const { day, hhmm } = local;
  for (const window of windows) {
    if (window.days.includes(day) && window.start <= hhmm && hhmm < window.end) {
      return policyReason(policy, 'pass', `it is ${day} ${hhmm} in ${timezone}, inside ${window.days.join(',')} ${window.start}–${window.end}`);
    }
  }
  return policyReason(policy, 'deny', `it is ${day} ${hhmm} in ${timezone}, outside the allowed time windows`);
}

function checkRateLimit(policy: CompiledPolicy, { rateCounts }: EvaluationInput): DecisionReason {
  const { limit, windowSeconds } = policy.config as PolicyConfig<'rate_limit'>;
  const count = rateCounts.get(policy.id);
  if (count === undefined) return policyReason(policy, 'info', 'not counted: no count was given for this rate limit');
  return policyReason(policy, count > limit ? 'deny' : 'pass', `${count} of limit ${limit} in ${windowSeconds}s`);
}

function checkDataVolume(policy: CompiledPolicy, { context }: EvaluationInput): DecisionReason {
  const { field, max, effect, whenMissing } = policy.config as PolicyConfig<'data_volume'>;
  const value = Object.hasOwn(context, field) ? context[field] : undefined;
  if (value === undefined) {
    return whenMissing === 'deny'
      ? policyReason(policy, 'deny', `context.${field} is absent and this policy requires it`)
      : policyReason(policy, 'pass', `context.${field} is absent; the policy ignores that`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return policyReason(policy, 'deny', `context.${field} must be a number`);
  if (value > max) return policyReason(policy, effect === 'deny' ? 'deny' : 'approval', `context.${field} is ${value}, above the maximum ${max}`);
  return policyReason(policy, 'pass', `context.${field} is ${value}, within the maximum ${max}`);
}

function checkMinTrust(policy: CompiledPolicy, { agent }: EvaluationInput, risk: RiskLevel): DecisionReason {
  const { minimums, whenUnscored } = policy.config as PolicyConfig<'min_trust'>;
  const minimum = minimums[risk];
  if (minimum === undefined) return policyReason(policy, 'pass', `no minimum for ${risk} risk`);
  const score = agent.trustScore;
  if (score === null) {
    if (whenUnscored === 'allow') return policyReason(policy, 'info', 'no trust score yet; allowed by whenUnscored');
    const outcome = whenUnscored === 'deny' ? 'deny' : 'approval';
    return policyReason(policy, outcome, `no trust score yet; ${risk} risk needs ${minimum} (whenUnscored: ${whenUnscored})`);
  }
  if (score < minimum) return policyReason(policy, 'deny', `trust score ${score} is below the minimum ${minimum} for ${risk} risk`);
  return policyReason(policy, 'pass', `trust score ${score} meets the minimum ${minimum} for ${risk} risk`);
}

function checkRequireApproval(policy: CompiledPolicy, _input: EvaluationInput, risk: RiskLevel): DecisionReason {
  const { minRisk } = policy.config as PolicyConfig<'require_approval'>;
  if (riskRank(risk) >= riskRank(minRisk)) return policyReason(policy, 'approval', `${risk} risk is at or above ${minRisk}; a person must approve`);
  return policyReason(policy, 'pass', `${risk} risk is below ${minRisk}`);
}

// ---- Local time, cached per time zone and minute ------------------------------------------------

interface LocalClock {
  formatter: Intl.DateTimeFormat;
  minute: number;
  day: Day;
  hhmm: string;
}

const WEEKDAYS: Readonly<Record<string, Day>> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };
const clocks = new Map<string, LocalClock>();

/**
 * The weekday and HH:MM of `now` in `timeZone`, or null when the engine cannot tell. Recomputed once
 * per time zone and minute (every current zone's offset is whole minutes).
 */
function localClock(timeZone: string, now: number): LocalClock | null {
  const minute = Math.floor(now / 60_000);
  let clock = clocks.get(timeZone);
  if (clock?.minute === minute) return clock;
  try {
    if (clock === undefined) {
      const formatter = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
      clock = { formatter, minute: Number.NaN, day: 'mon', hhmm: '' };
      remember(clocks, timeZone, clock, 1_000);
    }
    let day: Day | undefined;
    let hour = Number.NaN;
    let minutes = Number.NaN;
    for (const part of clock.formatter.formatToParts(now)) {
      if (part.type === 'weekday') day = WEEKDAYS[part.value];
      else if (part.type === 'hour') hour = Number(part.value) % 24; // some engines say 24 for midnight
      else if (part.type === 'minute') minutes = Number(part.value);
    }
    if (day === undefined || !(hour >= 0) || !(minutes >= 0)) return null;
    clock.minute = minute;
    clock.day = day;
    clock.hhmm = `${hour < 10 ? '0' : ''}${hour}:${minutes < 10 ? '0' : ''}${minutes}`;
    return clock;
  } catch {
    return null;
  }
}

// ---- Patterns -----------------------------------------------------------------------------------

type Matcher = (value: string) => boolean;

const MATCHER_CACHE_SIZE = 10_000;
const matchers = new Map<string, Matcher>();
const STAR = -1; // `*`: any run without '/'
const GLOBSTAR = -2; // `**`: any run
const SLASH = 0x2f;

export function matchesPattern(pattern: string, value: string): boolean {
  let matcher = matchers.get(pattern);
  if (matcher === undefined) {
    matcher = compilePattern(pattern);
    remember(matchers, pattern, matcher, MATCHER_CACHE_SIZE);
  }
  return matcher(value);
}

/** Inserts, first evicting the oldest entry when the cache is full. */
function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): void {
  if (cache.size >= max) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, value);
}

/** Literal prefix and suffix are compared directly; what lies between the first and last star runs as an NFA. */
function compilePattern(pattern: string): Matcher {
  const first = pattern.indexOf('*');
  if (first === -1) return (value) => value === pattern;
  const last = pattern.lastIndexOf('*');
  const prefix = pattern.slice(0, first);
  const suffix = pattern.slice(last + 1);
  const tokens = tokenize(pattern.slice(first, last + 1));
  const fixed = prefix.length + suffix.length;
  const ends = (value: string) => value.length >= fixed && value.startsWith(prefix) && value.endsWith(suffix);
  if (tokens.length === 1) {
    if (tokens[0] === GLOBSTAR) return ends;
    return (value) => {
      if (!ends(value)) return false;
      const slash = value.indexOf('/', prefix.length);
      return slash === -1 || slash >= value.length - suffix.length;
    };
  }
  const current = new Uint8Array(tokens.length + 1);
  const next = new Uint8Array(tokens.length + 1);
  return (value) => ends(value) && runTokens(tokens, value, prefix.length, value.length - suffix.length, current, next);
}

function tokenize(glob: string): Int32Array {
  const tokens: number[] = [];
  for (let i = 0; i < glob.length; i++) {
    const code = glob.charCodeAt(i);
    if (code !== 0x2a) tokens.push(code);
    else if (glob.charCodeAt(i + 1) === 0x2a) {
      tokens.push(GLOBSTAR);
      i++;
    } else tokens.push(STAR);
  }
  return Int32Array.from(tokens);
}

/** Set-of-states simulation: O(tokens × characters), whatever the input. */
function runTokens(tokens: Int32Array, value: string, from: number, to: number, a: Uint8Array, b: Uint8Array): boolean {
  let states = a;
  let next = b;
  states.fill(0);
  states[0] = 1;
  closeOverStars(tokens, states);
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i);
    next.fill(0);
    let alive = false;
    for (let s = 0; s < tokens.length; s++) {
      if (states[s] === 0) continue;
      const token = tokens[s]!;
      if (token === GLOBSTAR || (token === STAR && code !== SLASH)) next[s] = 1;
      else if (token === code) next[s + 1] = 1;
      else continue;
      alive = true;
    }
    if (!alive) return false;
    closeOverStars(tokens, next);
    [states, next] = [next, states];
  }
  return states[tokens.length] === 1;
}

/** A star may match nothing: reaching it also reaches the token after it. */
function closeOverStars(tokens: Int32Array, states: Uint8Array): void {
  for (let s = 0; s < tokens.length; s++) if (states[s] === 1 && tokens[s]! < 0) states[s + 1] = 1;
}
