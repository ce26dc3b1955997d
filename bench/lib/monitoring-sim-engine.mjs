// What the detection engine does around the pure detectors, emulated in memory for
// bench/monitoring-sim.mjs: hour counters per agent (before and after each batch, and the clock hour
// before), first-use sets, auth-failure windows, heartbeat hours, the sweep (heartbeats every minute,
// closed hours at each hour's end) and the daily baseline job. Every finding goes to `onFinding`.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function createEngine({ det, settings, onFinding }) {
  const state = new Map();
  const params = settings.detectors;

  function agentState(agent) {
    let s = state.get(agent.id);
    if (!s) {
      s = {
        agent,
        ctx: { agentId: agent.id, createdAt: agent.createdAt, learning: false, baseline: null },
        hour: null,
        history: [],
        heartbeatHistory: new Map(),
        seen: { action: new Set(), resource: new Set(), network: new Set() },
        failures: [],
        lastHeartbeatAt: null,
        decisions: 0,
      };
      state.set(agent.id, s);
    }
    return s;
  }

  const emit = (agent, findings) => {
    for (const f of findings) onFinding(agent, f);
  };

  return {
    state: agentState,
    params,

    /** History without detection: an hour's counts and heartbeat minutes, straight into the counters. */
    recordHistoryHour(agent, counts, heartbeatMinutes) {
      const s = agentState(agent);
      if (counts.requests > 0) s.history.push(counts);
      if (heartbeatMinutes > 0) {
        s.heartbeatHistory.set(counts.hour.getTime(), heartbeatMinutes);
        s.lastHeartbeatAt = new Date(counts.hour.getTime() + HOUR - 60_000);
      }
    },

    /** A value used in history: recorded as seen, never a finding (the engine's insert that found one). */
    see(agent, kind, value) {
      agentState(agent).seen[kind].add(value);
    },
    isSeen(agent, kind, value) {
      return agentState(agent).seen[kind].has(value);
    },

    /**
     * One batch of one agent's decisions within one minute: counted into the hour (previous/current),
     * detectHour, then the first uses among `values` ({kind, value, observation}).
     */
    ingest(agent, at, batch, values) {
      const s = agentState(agent);
      const hourStart = Math.floor(at.getTime() / HOUR) * HOUR;
      if (!s.hour || s.hour.hour.getTime() !== hourStart) {
        // The hour before, as the engine reads it from agent_activity_hours (no row: no requests). The
        // history's last hour is not kept here, so the week's first hour (Monday 00:00) has none; no
        // incident starts before 06:00.
        s.earlier = s.hour && s.hour.hour.getTime() === hourStart - HOUR ? s.hour : null;
        s.hour = { hour: new Date(hourStart), requests: 0, denials: 0, records: 0, bytes: 0 };
      }
      const previous = s.hour.requests === 0 ? null : { ...s.hour };
      s.hour.requests += batch.requests;
      s.hour.denials += batch.denials;
      s.hour.records += batch.records;
      s.hour.bytes += batch.bytes;
      s.decisions += batch.requests;
      // The batch as observations: the detectors read ids and times from it; one stands for the minute.
      const observation = {
        decisionId: `dec_${agent.index}_${s.decisions}`,
        agentId: agent.id,
        at,
        action: 'batch',
        resource: null,
        decision: batch.denials > 0 ? 'deny' : 'allow',
        violation: false,
        records: batch.records,
        bytes: batch.bytes,
        address: null,
      };
      emit(agent, det.detectHour(s.ctx, previous, { ...s.hour }, [observation], settings, s.earlier ? { ...s.earlier } : null));
      const firsts = [];
      for (const v of values) {
        if (s.seen[v.kind].has(v.value)) continue;
        s.seen[v.kind].add(v.value);
        firsts.push(v);
      }
      if (firsts.length > 0) emit(agent, det.detectFirstUses(s.ctx, firsts, settings));
    },

    /** Refused requests naming the agent's key: the window of the last windowMinutes, then the rule. */
    authFailures(agent, at, count, reason, address) {
      const s = agentState(agent);
      const windowMs = params.key_misuse.params.windowMinutes * 60_000;
      for (let i = 0; i < count; i += 1) s.failures.push({ at, reason, address });
      s.failures = s.failures.filter((f) => f.at.getTime() > at.getTime() - windowMs);
      const reasons = {};
      for (const f of s.failures) reasons[f.reason] = (reasons[f.reason] ?? 0) + 1;
      const window = {
        agentId: agent.id,
        from: s.failures[0].at,
        to: at,
        reasons,
        keyIds: [`key_${agent.index}`],
        addresses: [...new Set(s.failures.map((f) => f.address))].slice(0, 20),
      };
      emit(agent, det.detectAuthFailures(s.ctx, window, settings));
    },

    heartbeat(agent, at) {
      const s = agentState(agent);
      s.lastHeartbeatAt = at;
      const hour = Math.floor(at.getTime() / HOUR) * HOUR;
      s.heartbeatHistory.set(hour, (s.heartbeatHistory.get(hour) ?? 0) + 1);
    },

    /** The sweep's heartbeat part, every simulated minute, for every agent. */
    sweepHeartbeats(agents, now) {
      const weekAgo = now.getTime() - 7 * DAY;
      for (const agent of agents) {
        const s = agentState(agent);
        if (!s.lastHeartbeatAt) continue;
        let hours = 0;
        // Hours with heartbeats in the last 7 days (the engine reads agent_uptime_hours).
        if (s.heartbeatHoursAt !== Math.floor(now.getTime() / HOUR)) {
          for (const h of s.heartbeatHistory.keys()) if (h >= weekAgo) hours += 1;
          s.heartbeatHours7d = hours;
          s.heartbeatHoursAt = Math.floor(now.getTime() / HOUR);
        }
        emit(agent, det.detectHeartbeatLoss(s.ctx, { lastHeartbeatAt: s.lastHeartbeatAt, heartbeatHours7d: s.heartbeatHours7d }, now, settings));
      }
    },

    /** The sweep at an hour's end: the closed hour of every agent (zeros when it made no request). */
    closeHour(agents, hourStart) {
      for (const agent of agents) {
        const s = agentState(agent);
        const counts = s.hour && s.hour.hour.getTime() === hourStart.getTime() ? s.hour : { hour: hourStart, requests: 0, denials: 0, records: 0, bytes: 0 };
        if (counts.requests > 0) s.history.push({ ...counts });
        emit(agent, det.detectClosedHour(s.ctx, counts, settings));
      }
    },

    /** The daily baseline job: every agent's baseline from its last BASELINE_HISTORY_DAYS. */
    recomputeBaselines(agents, asOf) {
      const from = asOf.getTime() - det.BASELINE_HISTORY_DAYS * DAY;
      for (const agent of agents) {
        const s = agentState(agent);
        s.history = s.history.filter((h) => h.hour.getTime() >= from);
        for (const h of s.heartbeatHistory.keys()) if (h < from) s.heartbeatHistory.delete(h);
        const heartbeats = [...s.heartbeatHistory].map(([hour, minutes]) => ({ hour: new Date(hour), minutes }));
        s.ctx.baseline = det.computeBaseline({ agentId: agent.id, asOf, agentCreatedAt: agent.createdAt, hours: s.history, heartbeats });
      }
    },
  };
}
