// The incidents bench/monitoring-sim.mjs injects into the simulated week, and how findings are scored
// against them. Sizes are realistic, not trivially huge: a rate spike is 3-6x for 1-3 hours, an
// exfiltration 10-50x the agent's usual records for 1-2 hours, a key theft 8-40 refused requests
// over 2-10 minutes, an off-hours session 10-100 requests, a first use a handful of requests.

import { hourRate, heartbeatsAt } from './monitoring-sim-agents.mjs';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Each incident kind and the detector that should find it. */
export const INCIDENT_KINDS = {
  key_theft: 'key_misuse',
  exfiltration: 'data_volume',
  off_hours: 'off_hours',
  new_resource: 'new_resource',
  new_action: 'new_action',
  new_network: 'new_network',
  rate_spike: 'rate_anomaly',
  silent: 'heartbeat_lost',
  denial_spike: 'denial_spike',
};

const NEW_RESOURCES = [(r) => `secrets/${r.int(1, 9999)}`, (r) => `hr:salaries:${r.int(1, 99999)}`, (r) => `/admin/users/${r.int(1, 99999)}`, (r) => `vault/keys/${r.int(1, 999)}`];
const NEW_ACTIONS = ['payments:refund', 'users:delete', 'keys:export', 'audit:purge', 'roles:grant', 'billing:update'];

/** The hour's expected rate at an absolute time, with the agent's working day for that date. */
function rateAt(agent, days, testStart, t) {
  const d = new Date(t);
  const dayIndex = Math.floor((t - testStart) / (24 * HOUR));
  return hourRate(agent, (d.getUTCDay() + 6) % 7, d.getUTCHours(), days[dayIndex]);
}

function beatsAt(agent, days, testStart, t) {
  const d = new Date(t);
  return heartbeatsAt(agent, (d.getUTCDay() + 6) % 7, d.getUTCHours(), days[Math.floor((t - testStart) / (24 * HOUR))]);
}

/**
 * Pick 20 agents per kind (each agent at most one incident) and a start time that fits the kind:
 * active hours for what an agent does at work, hours with no activity around them for off-hours use,
 * hours with heartbeats for a silence. `days[agentIndex][d]` is each agent's working day in the test week.
 */
export function planIncidents(r, agents, days, testStart, perKind = 20) {
  const taken = new Set();
  const incidents = [];
  const earliest = testStart + 6 * HOUR;
  const latest = testStart + 6 * 24 * HOUR + 12 * HOUR;
  const active = (a, t) => rateAt(a, days[a.index], testStart, t) >= 0.3 * a.peak;
  // Off-hours: an hour at which the agent never works, nor in the hour before or after (its widest
  // working day, not just that day's), and which is not part of a 24/7 pattern.
  const widest = (a) => ({ start: a.start - 1, end: a.start + a.length + 1 });
  const quiet = (a, t) => [-1, 0, 1].every((o) => rateAt(a, Array(7).fill(widest(a)), testStart, t + o * HOUR) <= 0.05);
  const conditions = {
    key_theft: () => true,
    exfiltration: active,
    off_hours: quiet,
    new_resource: active,
    new_action: active,
    new_network: active,
    rate_spike: active,
    silent: (a, t) => [0, 1, 2].every((o) => beatsAt(a, days[a.index], testStart, t + o * HOUR)),
    denial_spike: active,
  };
  for (const kind of Object.keys(INCIDENT_KINDS)) {
    let placed = 0;
    for (let attempt = 0; placed < perKind && attempt < 200_000; attempt += 1) {
      const agent = r.pick(agents);
      if (taken.has(agent.id)) continue;
      if (kind === 'silent' && !agent.heartbeat) continue;
      const start = Math.floor(r.uniform(earliest, latest) / MIN) * MIN;
      if (!conditions[kind](agent, start)) continue;
      taken.add(agent.id);
      incidents.push(makeIncident(r, kind, agent, start, testStart));
      placed += 1;
    }
  }
  for (const i of incidents) {
    i.agent.incident = i;
    i.perMinute = new Map();
    const minutes = Math.max(1, Math.round((i.end - i.start) / MIN));
    for (let n = 0; n < (i.extra ?? i.failures ?? 0); n += 1) {
      const t = i.start + r.int(0, minutes - 1) * MIN;
      i.perMinute.set(t, (i.perMinute.get(t) ?? 0) + 1);
    }
  }
  return incidents;
}

function makeIncident(r, kind, agent, start, testStart) {
  const i = { kind, detector: INCIDENT_KINDS[kind], agent, start, end: start };
  switch (kind) {
    case 'key_theft':
      i.failures = r.int(8, 40);
      i.end = start + r.int(2, 10) * MIN;
      i.address = `185.220.${r.int(0, 255)}.${r.int(1, 254)}`;
      break;
    case 'exfiltration':
      i.factor = r.uniform(10, 50);
      i.end = start + r.int(1, 2) * HOUR;
      break;
    case 'rate_spike':
      // 3-6 times the agent's rate at the hour it starts, for 1-3 hours (a runaway loop, a stolen key at work).
      i.factor = r.uniform(3, 6);
      i.end = start + r.int(1, 3) * HOUR;
      break;
    case 'off_hours':
      i.extra = r.int(10, 100);
      i.end = start + r.int(10, 50) * MIN;
      break;
    case 'denial_spike':
      i.extra = r.int(15, 80);
      i.end = start + r.int(20, 60) * MIN;
      break;
    case 'new_resource':
      i.extra = r.int(3, 20);
      i.values = Array.from({ length: r.int(1, 3) }, () => r.pick(NEW_RESOURCES));
      i.end = start + r.int(30, 60) * MIN;
      break;
    case 'new_action':
      i.extra = r.int(2, 10);
      i.values = Array.from({ length: r.int(1, 2) }, () => r.pick(NEW_ACTIONS));
      i.end = start + r.int(10, 60) * MIN;
      break;
    case 'new_network':
      i.extra = r.int(5, 30);
      i.address = `185.${r.int(100, 250)}.${r.int(0, 255)}.${r.int(1, 254)}`;
      i.end = start + r.int(10, 60) * MIN;
      break;
    case 'silent':
      i.end = testStart + 7 * 24 * HOUR;
      break;
  }
  return i;
}

const percentile = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

/**
 * Recall and delay per incident kind; false alerts per detector. A finding is the incident's when it
 * is about the incident's agent between its start and two hours after its end (whatever its detector:
 * a rate spike that also moves data is not a false alert). Every other finding is false; false alerts
 * are counted as distinct (dedup key, UTC day) pairs: a repeat of an active alert is not a new one.
 */
export function score(incidents, findings, detectors, agentDays, testStart) {
  const grace = 2 * HOUR;
  const byAgent = new Map(incidents.map((i) => [i.agent.id, i]));
  const incidentDays = new Set();
  for (const i of incidents) {
    for (let t = Math.floor((i.start - testStart) / (24 * HOUR)); t <= Math.floor((Math.min(i.end + grace, testStart + 7 * 24 * HOUR - 1) - testStart) / (24 * HOUR)); t += 1) incidentDays.add(`${i.agent.id}:${t}`);
  }
  const cleanAgentDays = agentDays - incidentDays.size;
  const result = Object.fromEntries(detectors.map((d) => [d, { incidents: 0, detected: 0, delays: [], falseAlerts: new Set() }]));
  for (const i of incidents) {
    const mine = findings.filter((f) => f.agentId === i.agent.id && f.detector === i.detector && f.at >= i.start && f.at <= i.end + grace);
    const row = result[i.detector];
    row.incidents += 1;
    if (mine.length > 0) {
      row.detected += 1;
      row.delays.push((Math.min(...mine.map((f) => f.at)) - i.start) / MIN);
    } else row.missed = [...(row.missed ?? []), `${i.agent.id} (${i.agent.kind}, peak ${Math.round(i.agent.peak)}/h) at ${new Date(i.start).toISOString()}`];
  }
  for (const f of findings) {
    const i = byAgent.get(f.agentId);
    if (i && f.at >= i.start && f.at <= i.end + grace) continue;
    result[f.detector].falseAlerts.add(`${f.dedupKey}|${new Date(f.at).toISOString().slice(0, 10)}`);
  }
  const rows = {};
  for (const [d, row] of Object.entries(result)) {
    const delays = row.delays.sort((a, b) => a - b);
    rows[d] = {
      incidents: row.incidents,
      detected: row.detected,
      recall: row.incidents > 0 ? row.detected / row.incidents : null,
      delayMedianMinutes: percentile(delays, 50),
      delayP95Minutes: percentile(delays, 95),
      falseAlerts: row.falseAlerts.size,
      falsePer1000AgentDays: (row.falseAlerts.size / cleanAgentDays) * 1000,
      missed: row.missed ?? [],
      falseExamples: [...row.falseAlerts].slice(0, Number(process.env.BENCH_EXAMPLES ?? 5)),
    };
  }
  return { cleanAgentDays, rows };
}
