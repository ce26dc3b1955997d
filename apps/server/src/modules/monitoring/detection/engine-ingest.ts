import type { Database, Tx } from '../../../platform/db/database.js';
import type { DomainEvent, DomainEvents, EventSubscription } from '../../../platform/events/domain-events.js';
import { loadMonitoringSettings } from '../settings/settings-store.js';
import { detectAuthFailures, detectFirstUses, detectHour, detectTrustDrop } from './detectors.js';
import { detectionContext, isLearning, writeFindings, type WriteResult } from './engine-alerts.js';
import { addSeenValues, addToHours, loadAgents, readDecisions, readFailureWindows, type AgentRow } from './engine-store.js';
import type { AgentContext, Finding, FirstUse, Observation, Settings } from './model.js';
import { networkPrefix, resourcePrefix } from './prefixes.js';

/**
 * The ingestion: the `monitoring.detect` batch subscription. The event dispatcher hands it each
 * organization's events a batch at a time, under the organization's advisory lock, so one instance
 * ingests an organization at a time whatever the number of instances. Per batch, in one transaction of
 * the organization: read the batch's decisions by id, add them to the hour counters (returning each
 * touched hour before and after, and the hour before it), record the values they used (returning the
 * first uses), load the batch's agents with their baselines and the settings, run the detectors and
 * write their findings. A few statements per batch, none reading history beyond the rows the batch
 * touches and the hour counter before each. Times are the decisions' own (created_at), never the clock, so a replayed history detects
 * what it did live.
 *
 * A throw rolls everything back and the dispatcher delivers the batch again. A batch that committed
 * here but whose outbox rows were not yet deleted when an instance died is delivered again and counted
 * twice in the hour counters (the dispatcher is at least once); first uses and alerts are unaffected.
 */

/**
 * `violation.recorded` is not among them: a decision's violations are written in the statement that
 * writes the decision, so reading the decision finds them; taking the event too would count a decision
 * twice whenever a batch boundary fell between the two events.
 */
export const DETECTION_EVENT_TYPES = ['decision.created', 'trust.dropped', 'agent.authentication_failed'] as const;

export interface IngestResult extends WriteResult {
  decisions: number;
}

const contextOf = (agent: AgentRow, at: Date, settings: Settings): AgentContext => ({
  agentId: agent.id,
  createdAt: agent.createdAt,
  learning: isLearning(agent.createdAt, at, settings),
  baseline: agent.baseline,
});

/** The values a decision used: its action, its resource prefix, its client network. */
function usesOf(o: Observation, settings: Settings): FirstUse[] {
  const uses: FirstUse[] = [{ kind: 'action', value: o.action, observation: o }];
  const resource = o.resource === null ? null : resourcePrefix(o.resource, settings.detectors.new_resource.params.prefixSegments);
  if (resource !== null) uses.push({ kind: 'resource', value: resource.slice(0, 1000), observation: o });
  const { ipv4PrefixLength, ipv6PrefixLength } = settings.detectors.new_network.params;
  const network = o.address === null ? null : networkPrefix(o.address, ipv4PrefixLength, ipv6PrefixLength);
  if (network !== null) uses.push({ kind: 'network', value: network, observation: o });
  return uses;
}

const latest = (observations: readonly Observation[]): Date => new Date(Math.max(...observations.map((o) => o.at.getTime())));

/** The decisions of a batch: counters, first uses and the hour detectors. */
async function detectDecisions(tx: Tx, decisionIds: string[], settings: Settings, agents: (ids: string[]) => Promise<Map<string, AgentRow>>) {
  const observations = await readDecisions(tx, decisionIds);
  if (observations.length === 0) return { observations, findings: [] as Finding[], agentRows: new Map<string, AgentRow>() };
  const hours = await addToHours(tx, observations);
  const firsts = await addSeenValues(
    tx,
    observations.flatMap((o) => usesOf(o, settings)),
  );
  const agentRows = await agents([...new Set(observations.map((o) => o.agentId))]);
  const findings: Finding[] = [];
  for (const h of hours) {
    const agent = agentRows.get(h.agentId);
    if (!agent) continue;
    const previous = h.previous.requests === 0 ? null : h.previous;
    const earlier = h.earlier === null || h.earlier.requests === 0 ? null : h.earlier;
    findings.push(...detectHour(contextOf(agent, latest(h.observations), settings), previous, h.current, h.observations, settings, earlier));
  }
  const firstsByAgent = new Map<string, FirstUse[]>();
  for (const f of firsts) firstsByAgent.set(f.observation.agentId, [...(firstsByAgent.get(f.observation.agentId) ?? []), f]);
  for (const [agentId, list] of firstsByAgent) {
    const agent = agentRows.get(agentId);
    if (agent) findings.push(...detectFirstUses(contextOf(agent, latest(list.map((f) => f.observation)), settings), list, settings));
  }
  return { observations, findings, agentRows };
}

/** One organization's batch of events, ingested in one transaction. */
export async function ingest(deps: { db: Pick<Database, 'transaction'>; events: Pick<DomainEvents, 'record'> }, batch: readonly DomainEvent[]): Promise<IngestResult> {
  const organizationId = batch[0]!.organizationId;
  const decisionIds = new Set<string>();
  const drops: DomainEvent<'trust.dropped'>[] = [];
  const refusals = new Map<string, Date>();
  for (const e of batch) {
    if (e.type === 'decision.created') decisionIds.add(e.data.decisionId);
    else if (e.type === 'trust.dropped') drops.push(e);
    else if (e.type === 'agent.authentication_failed') {
      const to = new Date(e.data.to);
      const known = refusals.get(e.data.agentId);
      if (!known || to > known) refusals.set(e.data.agentId, to);
    }
  }
  return deps.db.transaction({ organizationId }, async (tx) => {
    const { settings } = await loadMonitoringSettings(tx);
    const known = new Map<string, AgentRow>();
    const agents = async (ids: string[]) => {
      const missing = ids.filter((id) => !known.has(id));
      for (const [id, row] of await loadAgents(tx, missing)) known.set(id, row);
      return known;
    };
    const { observations, findings } = await detectDecisions(tx, [...decisionIds], settings, agents);
    const others = [...drops.map((d) => d.data.agentId), ...refusals.keys()];
    if (others.length > 0) await agents([...new Set(others)]);
    for (const d of drops) {
      const agent = known.get(d.data.agentId);
      const at = new Date(d.occurredAt);
      if (agent) findings.push(...detectTrustDrop(contextOf(agent, at, settings), { scoreId: d.data.scoreId, score: d.data.score, highestInHour: d.data.highestInHour, drop: d.data.drop, at }, settings));
    }
    if (refusals.size > 0 && settings.detectors.key_misuse.enabled) {
      for (const window of await readFailureWindows(tx, refusals, settings.detectors.key_misuse.params.windowMinutes)) {
        const agent = known.get(window.agentId);
        if (agent) findings.push(...detectAuthFailures(contextOf(agent, window.to, settings), window, settings));
      }
    }
    const createdAt = new Map([...known].map(([id, a]) => [id, a.createdAt]));
    const written = await writeFindings(tx, deps, { ctx: detectionContext('ingest'), findings, agents: createdAt, settings });
    return { ...written, decisions: observations.length };
  });
}

/** The subscription (Feature.subscriptions). */
export function detectionSubscription(deps: {
  db: Pick<Database, 'transaction'>;
  events: Pick<DomainEvents, 'record'>;
  observe?: (update: { decisions: number; findings: number; seconds: number }) => void;
}): EventSubscription {
  return {
    name: 'monitoring.detect',
    types: DETECTION_EVENT_TYPES,
    async handleBatch(events) {
      const started = performance.now();
      const result = await ingest(deps, events);
      deps.observe?.({ decisions: result.decisions, findings: result.raised.length + result.counted + result.learning, seconds: (performance.now() - started) / 1000 });
    },
  };
}
