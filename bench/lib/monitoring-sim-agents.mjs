// The simulated agents of bench/monitoring-sim.mjs: a seeded random generator, and 1,000 agents with
// weekly rhythms (business hours, 24/7 with a daily cycle, nightly batches), varied volumes, actions,
// resources with ids, a few networks each, occasional legitimate denials, and heartbeats for some.
// Nothing here knows the detectors or their parameters.

/** mulberry32: a small seeded generator, so a run is reproducible from its seed. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const r = {
    next,
    normal,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    logUniform: (lo, hi) => Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * next()),
    lognormal: (sigma) => Math.exp(sigma * normal() - (sigma * sigma) / 2),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    poisson(lambda) {
      if (lambda <= 0) return 0;
      if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal()));
      const l = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > l) {
        k += 1;
        p *= next();
      }
      return k;
    },
    /** The sum of k exponentials of mean theta (a Gamma(k, theta) draw). */
    gammaSum(k, theta) {
      if (k <= 0) return 0;
      if (k > 30) return Math.max(0, k * theta + Math.sqrt(k) * theta * normal());
      let s = 0;
      for (let i = 0; i < k; i += 1) s -= Math.log(1 - next());
      return s * theta;
    },
    binomial(n, p) {
      if (n <= 0 || p <= 0) return 0;
      if (n * p > 20) return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal())));
      if (n < 60) {
        let k = 0;
        for (let i = 0; i < n; i += 1) if (next() < p) k += 1;
        return k;
      }
      return Math.min(n, r.poisson(n * p));
    },
  };
  return r;
}

const VERBS = ['read', 'list', 'search', 'create', 'update', 'delete', 'export', 'send', 'approve', 'sync', 'summarize', 'classify'];
const NOUNS = ['customers', 'orders', 'invoices', 'tickets', 'documents', 'payments', 'reports', 'contacts', 'shipments', 'messages', 'accounts', 'products'];

/** Resource templates: the id part changes with every request; the prefix does not. */
const TEMPLATES = [
  (n, r) => `${n}/${r.int(1, 999999)}`,
  (n, r) => `/${n}/${r.int(1, 99999)}/lines`,
  (n, r) => `db:${n}:${r.int(1, 9999999)}`,
  (n, r) => `/v1/${n}/${uuid(r)}`,
  (n, r) => `${n}/${n.slice(0, 3)}_${base32(r, 26)}`,
  (n) => `${n}/summary`,
  (n, r) => `s3://exports-${n}/${2026}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}/part-${r.int(1, 99)}.csv`,
];
const hex = (r, n) => Array.from({ length: n }, () => r.int(0, 15).toString(16)).join('');
const base32 = (r, n) => Array.from({ length: n }, () => '0123456789abcdefghjkmnpqrstvwxyz'[r.int(0, 31)]).join('');
const uuid = (r) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;

/** Zipf weights (s = 1.1) over n items, as cumulative probabilities. */
function zipf(n) {
  const w = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** 1.1);
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function network(r, i) {
  if (r.chance(0.2)) {
    const g = () => r.int(0, 0xffff).toString(16);
    const base = `2001:db8:${r.int(0, 0xffff).toString(16)}`;
    return { base, address: () => `${base}:${g()}:${g()}:${g()}:${g()}:${g()}`, v6: true };
  }
  const a = r.chance(0.5) ? `10.${r.int(0, 255)}.${r.int(0, 255)}` : `${r.pick([198, 203, 100, 52, 34])}.${r.int(0, 255)}.${r.int(0, 255)}`;
  return { base: `${a}.${i}`, address: () => `${a}.${r.int(1, 254)}`, v6: false };
}

/**
 * One agent. `kind`: business (weekdays, a working day that starts and ends up to an hour either way
 * from one day to the next), always-on (24/7 with a daily cycle and quieter weekends), or batch (a
 * nightly job, some with a small 24/7 trickle). Volumes are log-uniform over two orders of magnitude.
 */
export function makeAgent(r, index) {
  const roll = r.next();
  const kind = roll < 0.45 ? 'business' : roll < 0.85 ? 'always' : 'batch';
  const agent = {
    id: `agt_sim${String(index).padStart(5, '0')}`,
    index,
    kind,
    peak: r.logUniform(30, 1500),
    start: r.int(6, 10),
    length: r.int(8, 11),
    saturday: kind === 'business' && r.chance(0.1),
    trough: r.uniform(0.15, 0.6),
    peakHour: r.int(0, 23),
    weekendFactor: r.uniform(0.5, 1),
    batchStart: r.int(0, 5),
    batchHours: r.int(1, 3),
    batchWeekdaysOnly: r.chance(0.4),
    trickle: kind === 'batch' && r.chance(0.3) ? r.uniform(1, 4) : 0,
    stray: kind === 'business' ? 0.02 : 0,
    denialRate: r.chance(0.6) ? r.uniform(0, 0.005) : r.chance(0.75) ? r.uniform(0.005, 0.03) : r.uniform(0.05, 0.1),
    dataShare: r.uniform(0.2, 1),
    recordsPerRequest: r.logUniform(1, 200),
    bytesPerRecord: r.logUniform(100, 5000),
    /** One-off refused requests (a retried request, a clock skew) per day. */
    authFailuresPerDay: r.uniform(0.05, 0.5),
    heartbeat: null,
  };
  if (kind === 'batch') agent.peak = r.logUniform(300, 5000);
  const heartbeats = kind === 'always' ? r.chance(0.8) : kind === 'batch' ? r.chance(0.5) : r.chance(0.3);
  if (heartbeats) agent.heartbeat = { interval: r.pick([1, 1, 1, 2, 2, 5]), phase: r.int(0, 4), restartsPerDay: r.uniform(0.2, 1), whileWorking: kind === 'business' };
  const nActions = r.int(3, 15);
  const actionNames = new Set();
  while (actionNames.size < nActions) actionNames.add(`${r.pick(NOUNS)}:${r.pick(VERBS)}`);
  agent.actions = { values: [...actionNames], p: zipf(nActions) };
  const nResources = r.int(2, 10);
  const resources = new Map();
  while (resources.size < nResources) {
    const noun = r.pick(NOUNS);
    const template = r.pick(TEMPLATES);
    resources.set(`${noun}#${TEMPLATES.indexOf(template)}`, { sample: () => template(noun, r) });
  }
  agent.resources = { templates: [...resources.values()], p: zipf(nResources) };
  const nNetworks = r.int(1, 3);
  agent.networks = { values: Array.from({ length: nNetworks }, (_, i) => network(r, i)), p: zipf(nNetworks) };
  return agent;
}

/** The working day of a business agent on one day: start and end hour, shifted by the day's jitter. */
export function workingDay(agent, r) {
  const shift = () => (r.chance(0.2) ? -1 : r.chance(0.25) ? 1 : 0);
  return { start: agent.start + shift(), end: agent.start + agent.length + shift() };
}

/**
 * Expected requests in one UTC hour (before the day's and hour's noise). `day` is what workingDay
 * gave for this date (business agents), `weekday` 0 = Monday.
 */
export function hourRate(agent, weekday, hour, day) {
  const weekend = weekday >= 5;
  if (agent.kind === 'business') {
    const works = !weekend || (agent.saturday && weekday === 5);
    const level = weekend ? 0.2 : 1;
    if (!works || hour < day.start || hour >= day.end) return agent.stray;
    const edge = hour === day.start || hour === day.end - 1 ? 0.6 : hour === 12 ? 0.75 : 1;
    return agent.peak * level * edge;
  }
  if (agent.kind === 'always') {
    const cycle = 0.5 + 0.5 * Math.cos((2 * Math.PI * (hour - agent.peakHour)) / 24);
    return agent.peak * (agent.trough + (1 - agent.trough) * cycle) * (weekend ? agent.weekendFactor : 1);
  }
  const runs = !(agent.batchWeekdaysOnly && weekend) && hour >= agent.batchStart && hour < agent.batchStart + agent.batchHours;
  return (runs ? agent.peak : 0) + agent.trickle;
}

/** Is the agent's process up (for heartbeats) at this hour: business agents send them while working. */
export function heartbeatsAt(agent, weekday, hour, day) {
  if (!agent.heartbeat) return false;
  if (!agent.heartbeat.whileWorking) return true;
  const works = weekday < 5 || (agent.saturday && weekday === 5);
  return works && hour >= day.start && hour < day.end;
}

/** Index drawn from cumulative-free probabilities p. */
export function draw(r, p) {
  let x = r.next();
  for (let i = 0; i < p.length; i += 1) {
    x -= p[i];
    if (x < 0) return i;
  }
  return p.length - 1;
}
