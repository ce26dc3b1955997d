#!/usr/bin/env node
// `npm run bench:monitoring-sim`: the detectors measured on a simulation (docs/monitoring.md "measured").
//
// 1,000 agents with weekly rhythms (bench/lib/monitoring-sim-agents.mjs) run for 28 days of history
// and then 7 simulated days, through the compiled detectors and an in-memory emulation of what the
// engine does around them (bench/lib/monitoring-sim-engine.mjs): hour counters per agent, first-use
// sets, auth-failure windows, the sweep every simulated minute and at each hour's end, and the
// baselines recomputed every day. 20 incidents of each kind are injected into the 7 days
// (bench/lib/monitoring-sim-incidents.mjs). It reports per detector the recall on the incidents, the
// false alerts per 1,000 agent-days of clean traffic and the detection delay, as a table and a JSON line.
//
// The history only feeds the counters, the first-use sets and the heartbeat hours (hour by hour, no
// detection: nothing in it is measured); the 7 days go minute by minute, each agent's decisions of a
// minute as one batch, as the engine's batches are.
//
// BENCH_SEED (default 18), BENCH_AGENTS (default 1000), BENCH_SETTINGS (JSON laid over the default
// settings); BENCH_VERBOSE=1 lists the missed incidents and
// false alerts, BENCH_DEBUG=<detector> prints that detector's false findings with their summaries.
import { performance } from 'node:perf_hooks';
import { DEFAULT_MONITORING_SETTINGS, DETECTORS, mergeMonitoringSettings } from '@aim/contracts';
import { draw, hourRate, heartbeatsAt, makeAgent, rng, workingDay } from './lib/monitoring-sim-agents.mjs';
import { createEngine } from './lib/monitoring-sim-engine.mjs';
import { planIncidents, score } from './lib/monitoring-sim-incidents.mjs';

const root = new URL('..', import.meta.url).pathname;
const dir = `${root}apps/server/dist/modules/monitoring/detection/`;
const det = { ...(await import(`${dir}detectors.js`)), ...(await import(`${dir}baseline.js`)) };
const { resourcePrefix, networkPrefix } = await import(`${dir}prefixes.js`);

const SEED = Number(process.env.BENCH_SEED ?? 18);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
const HISTORY_DAYS = 28;
const TEST_DAYS = 7;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// A Monday, so the history is four whole weeks.
const HISTORY_START = Date.parse('2026-10-05T00:00:00Z');
const TEST_START = HISTORY_START + HISTORY_DAYS * DAY;

const started = performance.now();
// BENCH_SETTINGS: a settings update (the PUT body's shape) laid over the defaults, to measure other parameters.
const settings = process.env.BENCH_SETTINGS ? mergeMonitoringSettings(DEFAULT_MONITORING_SETTINGS, JSON.parse(process.env.BENCH_SETTINGS)) : DEFAULT_MONITORING_SETTINGS;
const P = settings.detectors;
const r = rng(SEED);
const agents = Array.from({ length: AGENTS }, (_, i) => makeAgent(r, i));
for (const a of agents) {
  a.createdAt = new Date(HISTORY_START - 30 * DAY);
  // Each category's value as the engine records it; two requests with different ids share it.
  a.actions.keys = a.actions.values;
  a.resources.keys = a.resources.templates.map((t) => resourcePrefix(t.sample(), P.new_resource.params.prefixSegments));
  a.networks.keys = a.networks.values.map((n) => networkPrefix(n.address(), P.new_network.params.ipv4PrefixLength, P.new_network.params.ipv6PrefixLength));
}
// Working days and day-to-day volume factors for all 35 days, drawn up front.
const days = agents.map((a) => Array.from({ length: HISTORY_DAYS + TEST_DAYS }, () => ({ ...workingDay(a, r), factor: r.lognormal(0.15) })));

const findings = [];
const engine = createEngine({
  det,
  settings,
  onFinding: (agent, f) => findings.push({ agentId: agent.id, detector: f.detector, dedupKey: f.dedupKey, at: f.at.getTime(), title: f.title, summary: f.summary, kind: agent.kind }),
});

const CATEGORY_KINDS = [
  ['action', 'actions'],
  ['resource', 'resources'],
  ['network', 'networks'],
];

/** The expected requests of an agent in an hour, with the day's factor and the hour's own noise. */
function expectedRequests(a, t) {
  const d = new Date(t);
  const dayIndex = Math.floor((t - HISTORY_START) / DAY);
  const day = days[a.index][dayIndex];
  return hourRate(a, (d.getUTCDay() + 6) % 7, d.getUTCHours(), day) * day.factor * r.lognormal(0.1);
}

function volume(a, n, factor = 1) {
  const records = Math.round(r.gammaSum(r.binomial(n, a.dataShare), a.recordsPerRequest) * factor);
  return { records, bytes: Math.round(records * a.bytesPerRecord * r.lognormal(0.2) + n * 300) };
}

// ---- 28 days of history: counters, first-use sets, heartbeat hours --------------------------------
for (const a of agents) {
  for (let h = 0; h < HISTORY_DAYS * 24; h += 1) {
    const t = HISTORY_START + h * HOUR;
    const d = new Date(t);
    const n = r.poisson(expectedRequests(a, t));
    const denials = r.binomial(n, a.denialRate);
    const beats = heartbeatsAt(a, (d.getUTCDay() + 6) % 7, d.getUTCHours(), days[a.index][Math.floor(h / 24)]);
    let minutes = 0;
    if (beats) {
      minutes = Math.floor(60 / a.heartbeat.interval);
      if (r.chance(a.heartbeat.restartsPerDay / 24)) minutes -= Math.ceil(r.int(1, 6) / a.heartbeat.interval);
    }
    engine.recordHistoryHour(a, { hour: d, requests: n, denials, ...volume(a, n) }, minutes);
    if (n === 0) continue;
    for (const [kind, key] of CATEGORY_KINDS) {
      const c = a[key];
      c.keys.forEach((value, i) => {
        if (!engine.isSeen(a, kind, value) && r.chance(1 - (1 - c.p[i]) ** n)) engine.see(a, kind, value);
      });
    }
  }
}

// ---- 7 days, minute by minute, with incidents ----------------------------------------------------
const incidents = planIncidents(r, agents, days.map((d) => d.slice(HISTORY_DAYS)), TEST_START);
const hourly = new Float64Array(AGENTS);
const gapUntil = new Float64Array(AGENTS);
let decisionCounter = 0;

function observation(a, at, action, resource, address) {
  decisionCounter += 1;
  return { decisionId: `dec_sim${decisionCounter}`, agentId: a.id, at, action, resource, decision: 'allow', violation: false, records: null, bytes: null, address };
}

for (let m = 0; m < TEST_DAYS * 24 * 60; m += 1) {
  const t = TEST_START + m * MIN;
  const now = new Date(t);
  if (m % (24 * 60) === 0) engine.recomputeBaselines(agents, now);
  if (m % 60 === 0) for (const a of agents) hourly[a.index] = expectedRequests(a, t);
  const weekday = (now.getUTCDay() + 6) % 7;
  const hourOfDay = now.getUTCHours();
  for (const a of agents) {
    const i = a.incident && t >= a.incident.start && t < a.incident.end ? a.incident : null;
    const silent = a.incident?.kind === 'silent' && t >= a.incident.start;
    if (silent) continue;
    // An incident's requests (or refusals), each at a random minute of it: exactly as many as planned.
    const inMinute = () => i.perMinute.get(t) ?? 0;
    if (i?.kind === 'rate_spike' && i.rate === undefined) i.rate = (i.factor * hourly[a.index]) / 60;
    const lambda = i?.kind === 'rate_spike' ? Math.max(i.rate, hourly[a.index] / 60) : hourly[a.index] / 60;
    let n = r.poisson(lambda);
    const extra = i && i.extra ? inMinute() : 0;
    const values = [];
    if (n > 0) {
      for (const [kind, key] of CATEGORY_KINDS) {
        const c = a[key];
        c.keys.forEach((value, k) => {
          if (!engine.isSeen(a, kind, value) && r.chance(1 - (1 - c.p[k]) ** n)) {
            const ob = observation(a, now, kind === 'action' ? value : a.actions.values[0], kind === 'resource' ? c.templates[k].sample() : null, kind === 'network' ? c.values[k].address() : null);
            values.push({ kind, value, observation: ob });
          }
        });
      }
    }
    if (extra > 0 && i.kind.startsWith('new_')) {
      for (let e = 0; e < extra; e += 1) {
        const ob = observation(a, now, a.actions.values[0], a.resources.templates[0].sample(), a.networks.values[0].address());
        if (i.kind === 'new_action') values.push({ kind: 'action', value: (ob.action = r.pick(i.values)), observation: ob });
        if (i.kind === 'new_resource') {
          ob.resource = r.pick(i.values)(r);
          values.push({ kind: 'resource', value: resourcePrefix(ob.resource, P.new_resource.params.prefixSegments), observation: ob });
        }
        if (i.kind === 'new_network') {
          ob.address = i.address;
          values.push({ kind: 'network', value: networkPrefix(i.address, P.new_network.params.ipv4PrefixLength, P.new_network.params.ipv6PrefixLength), observation: ob });
        }
      }
    }
    const denials = r.binomial(n, a.denialRate) + (i?.kind === 'denial_spike' ? extra : 0);
    n += extra;
    if (n > 0) engine.ingest(a, now, { requests: n, denials, ...volume(a, n, i?.kind === 'exfiltration' ? i.factor : 1) }, values);
    // Refused requests: one-off (a retried request, a clock skew) on clean traffic, a burst on key theft.
    if (i?.kind === 'key_theft') {
      const count = inMinute();
      if (count > 0) engine.authFailures(a, now, count, r.pick(['invalid_signature', 'replayed_request', 'key_revoked']), i.address);
    } else if (r.chance(a.authFailuresPerDay / 1440)) {
      engine.authFailures(a, now, r.chance(0.7) ? 1 : r.int(2, 3), r.pick(['replayed_request', 'invalid_signature']), a.networks.values[0].address());
    }
    if (a.heartbeat && t >= gapUntil[a.index]) {
      if (r.chance(a.heartbeat.restartsPerDay / 1440)) gapUntil[a.index] = t + r.int(1, 6) * MIN;
      else if ((m + a.heartbeat.phase) % a.heartbeat.interval === 0 && heartbeatsAt(a, weekday, hourOfDay, days[a.index][HISTORY_DAYS + Math.floor(m / 1440)])) engine.heartbeat(a, now);
    }
  }
  engine.sweepHeartbeats(agents, new Date(t + MIN));
  if ((m + 1) % 60 === 0) engine.closeHour(agents, new Date(t - 59 * MIN));
}

// ---- report ----------------------------------------------------------------------------------
const seconds = (performance.now() - started) / 1000;
const measured = DETECTORS.filter((d) => !['trust_drop', 'key_age'].includes(d));
const { cleanAgentDays, rows } = score(incidents, findings, measured, AGENTS * TEST_DAYS, TEST_START);
const pct = (x) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const num = (x, digits = 0) => (x === null ? '—' : x.toFixed(digits));
console.log(`monitoring simulation: ${AGENTS} agents, ${HISTORY_DAYS} days of history + ${TEST_DAYS} days, seed ${SEED}, ${incidents.length} incidents, ${cleanAgentDays} clean agent-days, ${seconds.toFixed(1)} s`);
console.log('| detector | incidents | detected | recall | delay median (min) | delay p95 (min) | false alerts | per 1,000 agent-days |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const d of measured) {
  const x = rows[d];
  console.log(`| ${d} | ${x.incidents} | ${x.detected} | ${pct(x.recall)} | ${num(x.delayMedianMinutes)} | ${num(x.delayP95Minutes)} | ${x.falseAlerts} | ${x.falsePer1000AgentDays.toFixed(2)} |`);
}
if (process.env.BENCH_VERBOSE) {
  for (const d of measured) if (rows[d].missed.length || rows[d].falseExamples.length) console.log(d, { missed: rows[d].missed, falseAlerts: rows[d].falseExamples });
}
const summary = Object.fromEntries(measured.map((d) => [d, { ...rows[d], missed: undefined, falseExamples: undefined }]));
console.log(JSON.stringify({ bench: 'monitoring-sim', seed: SEED, settings: process.env.BENCH_SETTINGS ? JSON.parse(process.env.BENCH_SETTINGS) : 'defaults', agents: AGENTS, historyDays: HISTORY_DAYS, days: TEST_DAYS, incidents: incidents.length, cleanAgentDays, seconds: Number(seconds.toFixed(1)), detectors: summary }));
// BENCH_DEBUG=<detector>: every false finding of that detector, for a person to read.
if (process.env.BENCH_DEBUG) {
  const byAgent = new Map(incidents.map((i) => [i.agent.id, i]));
  for (const f of findings) {
    const i = byAgent.get(f.agentId);
    if (f.detector !== process.env.BENCH_DEBUG || (i && f.at >= i.start && f.at <= i.end + 2 * HOUR)) continue;
    console.log(new Date(f.at).toISOString(), f.agentId, f.kind, i ? `(${i.kind} incident at ${new Date(i.start).toISOString()})` : '', f.summary);
  }
}
