/**
 * The trust method: the spec's 8 weighted factors, each computed from stored evidence, and how they
 * become one score, a confidence and a tier. This module is the only place the weights, windows,
 * decay constants and formulas live: computation, the API's breakdown, the tests and
 * docs/trust-scoring.md all follow it. It is pure: the same evidence always gives the same result,
 * which is what lets a stored score be replayed from its stored evidence.
 *
 * A factor with no evidence is `unknown`: it is left out, and the score is the weighted mean of the
 * known factors. `confidence` says how much of the total weight that mean rests on. Nothing here
 * stands in for a missing signal with a made-up value.
 */

/**
 * aim-trust/2: high and critical alerts about the agent (docs/monitoring.md) count in incident history
 * beside violations and incidents. Evidence stored by aim-trust/1 has no alerts and replays unchanged.
 */
export const TRUST_ALGORITHM_VERSION = 'aim-trust/2';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The spec's factors and weights (they sum to 1). */
export const FACTORS = [
  { key: 'verificationStatus', label: 'Verification status', weight: 0.3 },
  { key: 'securityAudit', label: 'Security audit', weight: 0.2 },
  { key: 'communityTrust', label: 'Community trust', weight: 0.15 },
  { key: 'uptime', label: 'Uptime', weight: 0.15 },
  { key: 'incidentHistory', label: 'Incident history', weight: 0.1 },
  { key: 'compliance', label: 'Compliance', weight: 0.05 },
  { key: 'activityFrequency', label: 'Activity frequency', weight: 0.03 },
  { key: 'lastVerified', label: 'Last verified', weight: 0.02 },
] as const;
export type FactorKey = (typeof FACTORS)[number]['key'];
export const FACTOR_KEYS = FACTORS.map((f) => f.key) as FactorKey[];

const DAY_MS = 86_400_000;

/** Windows and constants, in one place (docs/trust-scoring.md §3 lists them). */
export const TRUST_CONSTANTS = {
  /** Signed requests counted for the valid/invalid ratio. */
  requestWindowDays: 30,
  /** A key this close to its expiry counts as partly valid (linearly down to 0 at expiry). */
  keyExpiryWarningDays: 7,
  /** Reviews older than this are no longer evidence. */
  reviewWindowDays: 365,
  /** Points a review loses per finding, by severity (of 100). */
  findingPenalty: { low: 2, medium: 8, high: 20, critical: 40 } as Record<Severity, number>,
  /** A review and the automated posture checks, when both are present. */
  reviewShare: 0.6,
  /** Key age: full marks up to this age, falling linearly to 0 at keyAgeZeroDays. */
  keyAgeFullDays: 90,
  keyAgeZeroDays: 365,
  /** Each active high- or critical-risk grant takes this much off the breadth check. */
  highRiskGrantPenalty: 0.1,
  /** Grants younger than this are not yet judged unused. */
  unusedGrantGraceDays: 7,
  /** Ratings and attestations, when both are present. */
  ratingShare: 0.7,
  /** Heartbeats counted for uptime. */
  uptimeWindowDays: 7,
  /** Violations and incidents older than this are no longer evidence; within it they decay. */
  incidentWindowDays: 180,
  incidentHalfLifeDays: 30,
  /** Weight of one violation, incident or alert, by severity, before decay. */
  incidentWeight: { low: 1, medium: 2, high: 5, critical: 10 } as Record<Severity, number>,
  /** value = exp(-weighted sum / incidentScale). */
  incidentScale: 10,
  /** Alerts of these severities count in incident history (weighted like incidents of the same severity). */
  alertSeverities: ['high', 'critical'] as readonly Severity[],
  /** Alerts named in the evidence and the explanation (all of them count). */
  alertsNamed: 20,
  /** Decisions counted for compliance. */
  complianceWindowDays: 30,
  /** Decisions and required metadata, when both are present. */
  decisionShare: 0.7,
  /** Days looked at for activity. */
  activityWindowDays: 30,
  /** Half-life of the last successful verification. */
  lastVerifiedHalfLifeDays: 14,
  /** Tiers by score; the two top tiers also need this much confidence. */
  tiers: [
    { tier: 'verified', minScore: 90, minConfidence: 0.8 },
    { tier: 'high', minScore: 75, minConfidence: 0.6 },
    { tier: 'medium', minScore: 60, minConfidence: 0 },
    { tier: 'low', minScore: 40, minConfidence: 0 },
    { tier: 'untrusted', minScore: 0, minConfidence: 0 },
  ] as const,
} as const;

export type ScoredTier = 'untrusted' | 'low' | 'medium' | 'high' | 'verified';
export type TrustTier = ScoredTier | 'unscored';

/**
 * Everything the method reads, as gathered from the database at `asOf` (trust-evidence.ts). Stored
 * with every score. Times are RFC 3339 strings; ages are whole days before `asOf`.
 */
export interface TrustEvidence {
  asOf: string;
  agent: {
    status: 'active' | 'suspended' | 'revoked';
    createdAt: string;
    ownerSet: boolean;
    purposeSet: boolean;
    dataClassificationSet: boolean;
  };
  keys: {
    /** Keys ever registered (each entered through proof of possession). */
    registered: number;
    /** Keys accepted now (not revoked, not past their expiry). */
    usable: number;
    /** The expiry of the newest usable key, when it has one (it was rotated out and no newer key exists). */
    newestExpiresAt: string | null;
    /** When the newest usable key was registered. */
    newestCreatedAt: string | null;
  };
  /** Signed requests and token uses with the agent's keys within the request window. */
  requests: { verified: number; failed: number };
  /** The last successful verification: a verified request, or the newest usable key's registration (proof of possession). */
  lastVerifiedAt: string | null;
  /** The newest review within the review window. */
  review: { reviewedAt: string; findings: Record<Severity, number> } | null;
  grants: {
    /** Active grants of high- or critical-risk capabilities. */
    highRisk: number;
    /** Active grants older than the grace period, and how many of them a decision used within the request window. */
    judged: number;
    used: number;
  };
  ratings: { count: number; sum: number };
  attestations: { trusted: number; distrusted: number };
  uptime: {
    /** Minutes in the uptime window since the first heartbeat (null: never). */
    observedMinutes: number | null;
    minutesWithHeartbeat: number;
  };
  /**
   * Violations, open or resolved incidents, and high or critical alerts that were not false positives,
   * in the incident window, counted by source, severity and age.
   */
  incidents: { source: 'violation' | 'incident' | 'alert'; severity: Severity; ageDays: number; count: number }[];
  /**
   * The alerts counted in `incidents`, newest first, at most TRUST_CONSTANTS.alertsNamed: what the
   * explanation names. Absent from evidence stored by aim-trust/1.
   */
  alerts?: { id: string; type: string; severity: Severity; status: string; ageDays: number }[];
  decisions: { total: number; compliant: number };
  activity: {
    /** UTC days of the activity window (ending today) on which the agent existed. */
    observedDays: number;
    /** Of those, days with at least one verified request. */
    activeDays: number;
    /** Days since the agent was created. */
    ageDays: number;
  };
}

export interface FactorResult {
  key: FactorKey;
  label: string;
  weight: number;
  /** 0–1, or null when unknown. */
  value: number | null;
  /** Points of the score this factor contributes (its share of the known weight × value × 100). */
  contribution: number;
  /** Why it has the value it has, or why it is unknown. */
  explanation: string;
  /** The counts it was computed from. */
  evidence: Record<string, number | string | boolean | null>;
  /** The evidence window, in days, when the factor has one. */
  windowDays: number | null;
}

export interface TrustResult {
  /** 0–100 with two decimals, or null when no factor is known. */
  score: number | null;
  tier: TrustTier;
  /** The share of the total weight the score rests on (0–1). */
  confidence: number;
  factors: FactorResult[];
  algorithmVersion: string;
}

type Partial_ = { value: number | null; explanation: string; evidence: FactorResult['evidence'] };

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS;
const decay = (ageDays: number, halfLifeDays: number) => Math.pow(0.5, Math.max(0, ageDays) / halfLifeDays);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Mean of the known parts, each with its share; null when none is known. */
function blend(parts: { value: number | null; share: number }[]): number | null {
  const known = parts.filter((p) => p.value !== null);
  const total = known.reduce((s, p) => s + p.share, 0);
  if (known.length === 0 || total === 0) return null;
  return known.reduce((s, p) => s + p.value! * p.share, 0) / total;
}

export function verificationStatus(e: TrustEvidence): Partial_ {
  const { status } = e.agent;
  const { verified, failed } = e.requests;
  const evidence = { status, keysRegistered: e.keys.registered, keysUsable: e.keys.usable, verifiedRequests: verified, failedRequests: failed };
  if (status !== 'active') return { value: 0, explanation: `the agent is ${status}`, evidence };
  if (e.keys.registered === 0) return { value: null, explanation: 'no key has been registered', evidence };
  if (e.keys.usable === 0) return { value: 0, explanation: 'no key is usable (all revoked or expired)', evidence };
  // Every registered key entered through proof of possession (docs/agent-identity.md §2).
  const possession = e.keys.registered > 0 ? 1 : 0;
  let key = 1;
  if (e.keys.newestExpiresAt !== null) {
    const left = daysBetween(e.asOf, e.keys.newestExpiresAt);
    key = clamp01(left / TRUST_CONSTANTS.keyExpiryWarningDays);
  }
  const ratio = verified + failed > 0 ? verified / (verified + failed) : null;
  const value = blend([
    { value: possession, share: 1 },
    { value: key, share: 1 },
    { value: ratio, share: 1 },
  ])!;
  const ratioText = ratio === null ? 'no signed requests yet' : `${verified} of ${verified + failed} signed requests verified`;
  const keyText = key === 1 ? 'a usable key' : `a key ${round(key * TRUST_CONSTANTS.keyExpiryWarningDays, 1)} days from expiry`;
  return { value, explanation: `active, possession proven, ${keyText}; ${ratioText}`, evidence };
}

export function securityAudit(e: TrustEvidence): Partial_ {
  const c = TRUST_CONSTANTS;
  let review: number | null = null;
  if (e.review) {
    const penalty = SEVERITIES.reduce((s, sev) => s + e.review!.findings[sev] * c.findingPenalty[sev], 0);
    review = clamp01(1 - penalty / 100);
  }
  let keyAge: number | null = null;
  if (e.keys.newestCreatedAt !== null) {
    const age = daysBetween(e.keys.newestCreatedAt, e.asOf);
    keyAge = age <= c.keyAgeFullDays ? 1 : clamp01(1 - (age - c.keyAgeFullDays) / (c.keyAgeZeroDays - c.keyAgeFullDays));
  }
  const breadth = clamp01(1 - e.grants.highRisk * c.highRiskGrantPenalty);
  const usage = e.grants.judged > 0 ? e.grants.used / e.grants.judged : null;
  const owner = e.agent.ownerSet ? 1 : 0;
  const posture = blend([
    { value: keyAge, share: 1 },
    { value: breadth, share: 1 },
    { value: usage, share: 1 },
    { value: owner, share: 1 },
  ]);
  const value = blend([
    { value: review, share: c.reviewShare },
    { value: posture, share: 1 - c.reviewShare },
  ]);
  const findings = e.review ? SEVERITIES.map((s) => `${e.review!.findings[s]} ${s}`).join(', ') : null;
  const explanation =
    (e.review ? `review of ${e.review.reviewedAt.slice(0, 10)} (${findings} findings); ` : 'no review within a year; ') +
    `posture: ${e.grants.highRisk} high-risk grants, ${usage === null ? 'no grants old enough to judge' : `${e.grants.used} of ${e.grants.judged} grants used`}, owner ${e.agent.ownerSet ? 'set' : 'missing'}`;
  return {
    value,
    explanation,
    evidence: {
      reviewedAt: e.review?.reviewedAt ?? null,
      criticalFindings: e.review?.findings.critical ?? null,
      highFindings: e.review?.findings.high ?? null,
      mediumFindings: e.review?.findings.medium ?? null,
      lowFindings: e.review?.findings.low ?? null,
      highRiskGrants: e.grants.highRisk,
      grantsJudged: e.grants.judged,
      grantsUsed: e.grants.used,
      ownerSet: e.agent.ownerSet,
    },
  };
}

export function communityTrust(e: TrustEvidence): Partial_ {
  const { count, sum } = e.ratings;
  const { trusted, distrusted } = e.attestations;
  const rating = count > 0 ? (sum / count - 1) / 4 : null;
  const attestation = trusted + distrusted > 0 ? trusted / (trusted + distrusted) : null;
  const value = blend([
    { value: rating, share: TRUST_CONSTANTS.ratingShare },
    { value: attestation, share: 1 - TRUST_CONSTANTS.ratingShare },
  ]);
  const explanation =
    value === null
      ? 'no ratings and no attestations yet'
      : `${count} ratings${count > 0 ? ` averaging ${round(sum / count, 2)}` : ''}; ${trusted} agents trust it, ${distrusted} do not`;
  return { value, explanation, evidence: { ratings: count, ratingSum: sum, trustedBy: trusted, distrustedBy: distrusted } };
}

export function uptime(e: TrustEvidence): Partial_ {
  const { observedMinutes, minutesWithHeartbeat } = e.uptime;
  const evidence = { observedMinutes, minutesWithHeartbeat };
  if (observedMinutes === null || observedMinutes <= 0) return { value: null, explanation: 'no heartbeat received', evidence };
  const value = clamp01(minutesWithHeartbeat / observedMinutes);
  return { value, explanation: `heartbeats in ${minutesWithHeartbeat} of ${observedMinutes} minutes`, evidence };
}

export function incidentHistory(e: TrustEvidence): Partial_ {
  const c = TRUST_CONSTANTS;
  const counts = { violations: 0, incidents: 0, alerts: 0 };
  const key = { violation: 'violations', incident: 'incidents', alert: 'alerts' } as const;
  let weighted = 0;
  for (const row of e.incidents) {
    if (row.ageDays > c.incidentWindowDays) continue;
    counts[key[row.source]] += row.count;
    weighted += row.count * c.incidentWeight[row.severity] * decay(row.ageDays, c.incidentHalfLifeDays);
  }
  const observedDays = Math.min(c.incidentWindowDays, Math.max(0, daysBetween(e.agent.createdAt, e.asOf)));
  const evidence = { ...counts, weightedSeverity: round(weighted, 4), observedDays: round(observedDays, 2) };
  const total = counts.violations + counts.incidents + counts.alerts;
  if (total === 0 && observedDays < 1) {
    return { value: null, explanation: 'observed for less than a day, with no incidents', evidence };
  }
  const value = Math.exp(-weighted / c.incidentScale);
  if (total === 0) return { value, explanation: `no violations, incidents or alerts in ${Math.floor(observedDays)} days`, evidence };
  const named = (e.alerts ?? []).map((l) => `${l.id} (${l.type}, ${l.severity}, ${l.status})`);
  const more = counts.alerts - named.length;
  const alerts = counts.alerts === 0 ? '' : `: ${named.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  const explanation = `${counts.violations} violations, ${counts.incidents} incidents and ${counts.alerts} alerts${alerts}; weighted ${round(weighted, 2)} after decay`;
  return { value, explanation, evidence };
}

export function compliance(e: TrustEvidence): Partial_ {
  const { total, compliant } = e.decisions;
  const decisions = total > 0 ? compliant / total : null;
  const fields = [e.agent.ownerSet, e.agent.purposeSet, e.agent.dataClassificationSet];
  const metadata = fields.filter(Boolean).length / fields.length;
  const value = blend([
    { value: decisions, share: TRUST_CONSTANTS.decisionShare },
    { value: metadata, share: 1 - TRUST_CONSTANTS.decisionShare },
  ]);
  const missing = (['owner', 'purpose', 'data classification'] as const).filter((_, i) => !fields[i]);
  const explanation =
    (total > 0 ? `${compliant} of ${total} decisions complied with every policy` : 'no decisions yet') +
    `; ${missing.length === 0 ? 'required metadata present' : `missing ${missing.join(', ')}`}`;
  return {
    value,
    explanation,
    evidence: { decisions: total, compliantDecisions: compliant, ownerSet: e.agent.ownerSet, purposeSet: e.agent.purposeSet, dataClassificationSet: e.agent.dataClassificationSet },
  };
}

export function activityFrequency(e: TrustEvidence): Partial_ {
  const { observedDays, activeDays, ageDays } = e.activity;
  const evidence = { observedDays, activeDays, ageDays: round(ageDays, 2) };
  if (observedDays <= 0 || (ageDays < 1 && activeDays === 0)) return { value: null, explanation: 'less than a day old and not active yet', evidence };
  const value = clamp01(activeDays / observedDays);
  return { value, explanation: `active on ${activeDays} of ${observedDays} days`, evidence };
}

export function lastVerified(e: TrustEvidence): Partial_ {
  const evidence = { lastVerifiedAt: e.lastVerifiedAt };
  if (e.lastVerifiedAt === null) return { value: null, explanation: 'never verified', evidence };
  const age = Math.max(0, daysBetween(e.lastVerifiedAt, e.asOf));
  return { value: decay(age, TRUST_CONSTANTS.lastVerifiedHalfLifeDays), explanation: `last verified ${round(age, 2)} days ago`, evidence };
}

const FORMULAS: Record<FactorKey, (e: TrustEvidence) => Partial_> = {
  verificationStatus,
  securityAudit,
  communityTrust,
  uptime,
  incidentHistory,
  compliance,
  activityFrequency,
  lastVerified,
};

const WINDOWS: Record<FactorKey, number | null> = {
  verificationStatus: TRUST_CONSTANTS.requestWindowDays,
  securityAudit: TRUST_CONSTANTS.reviewWindowDays,
  communityTrust: null,
  uptime: TRUST_CONSTANTS.uptimeWindowDays,
  incidentHistory: TRUST_CONSTANTS.incidentWindowDays,
  compliance: TRUST_CONSTANTS.complianceWindowDays,
  activityFrequency: TRUST_CONSTANTS.activityWindowDays,
  lastVerified: null,
};

export function tierFor(score: number | null, confidence: number): TrustTier {
  if (score === null) return 'unscored';
  for (const t of TRUST_CONSTANTS.tiers) if (score >= t.minScore && confidence >= t.minConfidence) return t.tier;
  return 'untrusted';
}

/** The score, confidence, tier and breakdown for the evidence. */
export function computeTrust(evidence: TrustEvidence): TrustResult {
  const partials = FACTORS.map((f) => ({ factor: f, ...FORMULAS[f.key](evidence) }));
  const knownWeight = partials.reduce((s, p) => s + (p.value === null ? 0 : p.factor.weight), 0);
  const factors: FactorResult[] = partials.map((p) => ({
    key: p.factor.key,
    label: p.factor.label,
    weight: p.factor.weight,
    value: p.value === null ? null : round(p.value, 4),
    contribution: p.value === null || knownWeight === 0 ? 0 : (p.factor.weight / knownWeight) * p.value * 100,
    explanation: p.explanation,
    evidence: p.evidence,
    windowDays: WINDOWS[p.factor.key],
  }));
  const confidence = round(knownWeight, 3);
  const score = knownWeight === 0 ? null : round(factors.reduce((s, f) => s + f.contribution, 0), 2);
  for (const f of factors) f.contribution = round(f.contribution, 4);
  return { score, tier: tierFor(score, confidence), confidence, factors, algorithmVersion: TRUST_ALGORITHM_VERSION };
}
