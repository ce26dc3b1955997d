#!/usr/bin/env node
// The decision engine's cost per evaluation (apps/server/dist/modules/decisions/policy-engine.js):
// 20 policies of every type with mixed scopes, a few grants, inputs rotating over actions, resources
// and agents, `now` advancing 7 ms per call (so local clocks are recomputed every ~8,600 calls, as they
// would be in service). Each call is timed on its own with process.hrtime.bigint; so is, in the same
// run and interleaved in blocks, a trivial baseline on the same input (JSON.stringify of the context),
// and the timer alone (a Set lookup), to show how much of a figure is the clock itself.
//
// BENCH_ITERATIONS evaluations (default 200,000). Run `npx tsc -b` first.
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { evaluate, applicablePolicies } = await import(join(root, 'apps/server/dist/modules/decisions/policy-engine.js'));

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const WARMUP = 20_000;
const BLOCK = 10_000;

const pad = (n) => String(n).padStart(26, '0');
const agentA = `agt_${pad(1)}`;
const agentB = `agt_${pad(2)}`;
let n = 0;
const policy = (type, config, mode = 'enforce', scope = {}) => ({ id: `pol_${pad(++n)}`, version: 1 + (n % 3), name: `${type} ${n}`, type, mode, scope, config });
const office = (timezone) => ({ timezone, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:00', end: '22:00' }, { days: ['sat', 'sun'], start: '00:00', end: '24:00' }] });

const policies = [
  policy('capability_required', {}),
  policy('capability_required', {}, 'monitor', { tags: ['sandbox'] }),
  policy('resource_deny', { resources: ['secrets/**', 'customers/*/ssn', 'customers/*/card', 'payroll/**'] }),
  policy('resource_deny', { resources: ['orders/archive/**'] }, 'enforce', { actions: ['payments:*'] }),
  policy('resource_deny', { resources: ['s3://backups/**/*.sql', 's3://backups/**/*.dump'] }, 'monitor'),
  policy('resource_deny', { resources: ['admin/*'] }, 'enforce', { tags: ['support', 'prod'] }),
  policy('time_window', office('Europe/Berlin')),
  policy('time_window', office('America/New_York'), 'monitor', { actions: ['payments:*', 'email:send'] }),
  policy('rate_limit', { limit: 1000, windowSeconds: 60 }),
  policy('rate_limit', { limit: 50, windowSeconds: 60 }, 'enforce', { actions: ['payments:refund'] }),
  policy('rate_limit', { limit: 10_000, windowSeconds: 3600 }, 'monitor', { agentIds: [agentA, agentB] }),
  policy('data_volume', { field: 'records', max: 10_000, effect: 'deny', whenMissing: 'ignore' }),
  policy('data_volume', { field: 'amount', max: 500, effect: 'require_approval', whenMissing: 'ignore' }, 'enforce', { actions: ['payments:*'] }),
  policy('data_volume', { field: 'bytes', max: 50_000_000, effect: 'deny', whenMissing: 'deny' }, 'monitor', { actions: ['s3:*'] }),
  policy('min_trust', { minimums: { medium: 40, high: 60, critical: 80 }, whenUnscored: 'require_approval' }),
  policy('min_trust', { minimums: { low: 20 }, whenUnscored: 'allow' }, 'monitor'),
  policy('min_trust', { minimums: { high: 75 }, whenUnscored: 'deny' }, 'enforce', { tags: ['prod'] }),
  policy('require_approval', { minRisk: 'critical' }),
  policy('require_approval', { minRisk: 'high' }, 'enforce', { actions: ['payments:refund'] }),
  policy('require_approval', { minRisk: 'medium' }, 'monitor', { tags: ['new'] }),
];

const now0 = Date.UTC(2026, 0, 6, 14, 0);
const grants = [
  { id: `grt_${pad(4)}`, resourcePattern: 'orders/*', expiresAt: now0 + 86_400_000 },
  { id: `grt_${pad(3)}`, resourcePattern: 'customers/*/profile', expiresAt: null },
  { id: `grt_${pad(2)}`, resourcePattern: 's3://reports/**', expiresAt: now0 - 1 },
  { id: `grt_${pad(1)}`, resourcePattern: null, expiresAt: null },
];
const shapes = [
  { agent: { id: agentA, tags: ['finance', 'prod'], trustScore: 72 }, action: 'payments:refund', resource: 'orders/8812', context: { amount: 120 }, risk: 'high' },
  { agent: { id: agentB, tags: ['support'], trustScore: 55 }, action: 'db:read', resource: 'customers/17/profile', context: { records: 120 }, risk: 'medium' },
  { agent: { id: `agt_${pad(3)}`, tags: ['new'], trustScore: null }, action: 's3:get', resource: 's3://reports/2026/q1/sales.csv', context: { bytes: 1_200_000 }, risk: 'low' },
  { agent: { id: agentA, tags: ['finance', 'prod'], trustScore: 72 }, action: 'email:send', resource: null, context: {}, risk: 'medium' },
];
const inputs = shapes.map(({ agent, action, resource, context, risk }, i) => ({
  agent,
  action,
  resource,
  context,
  capability: { name: action, riskLevel: risk },
  declaredRisk: i === 1 ? 'high' : null,
  grants,
  policies: [...policies].reverse(),
  rateCounts: new Map(applicablePolicies(policies, agent, action).filter((p) => p.type === 'rate_limit').map((p) => [p.id, 7 + i])),
  now: now0,
}));

const set = new Set(inputs.map((i) => i.action));
const subjects = {
  engine: (input) => evaluate(input).decision.length,
  stringify: (input) => JSON.stringify(input.context).length,
  timer: (input) => (set.has(input.action) ? 1 : 0),
};

let sink = 0;
let clock = 0;
function block(fn, count, samples, offset) {
  for (let i = 0; i < count; i++) {
    const input = inputs[i & 3];
    input.now = now0 + 7 * clock++;
    const t0 = process.hrtime.bigint();
    sink += fn(input);
    const t1 = process.hrtime.bigint();
    if (samples !== null) samples[offset + i] = Number(t1 - t0);
  }
}

for (const fn of Object.values(subjects)) block(fn, WARMUP, null, 0);
const samples = Object.fromEntries(Object.keys(subjects).map((name) => [name, new Float64Array(ITERATIONS)]));
for (let done = 0; done < ITERATIONS; done += BLOCK) {
  const count = Math.min(BLOCK, ITERATIONS - done);
  for (const [name, fn] of Object.entries(subjects)) block(fn, count, samples[name], done);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const stats = Object.fromEntries(
  Object.entries(samples).map(([name, values]) => {
    const sorted = values.sort();
    return [name, { medianUs: percentile(sorted, 0.5) / 1000, p99Us: percentile(sorted, 0.99) / 1000, maxUs: sorted[sorted.length - 1] / 1000 }];
  }),
);

const decisions = {};
for (const input of inputs) {
  const { decision, reasons } = evaluate(input);
  decisions[input.action] = `${decision} (${reasons.length} reasons)`;
}
const f = (us) => us.toFixed(2).padStart(8);
console.log(`policy engine: ${policies.length} policies, ${grants.length} grants, ${ITERATIONS} timed calls each (after ${WARMUP} warm-up), Node ${process.version}`);
console.log(`inputs: ${Object.entries(decisions).map(([a, d]) => `${a} → ${d}`).join('; ')}`);
console.log('                          median µs   p99 µs   max µs');
for (const [name, label] of [['engine', 'evaluate()'], ['stringify', 'JSON.stringify(context)'], ['timer', 'Set lookup (timer floor)']]) {
  const s = stats[name];
  console.log(`${label.padEnd(26)}${f(s.medianUs)} ${f(s.p99Us)} ${f(s.maxUs)}`);
}
const ratio = { median: stats.engine.medianUs / stats.stringify.medianUs, p99: stats.engine.p99Us / stats.stringify.p99Us };
console.log(`ratio evaluate / JSON.stringify: median ${ratio.median.toFixed(1)}×, p99 ${ratio.p99.toFixed(1)}×; target p99 ≤ 50 µs: ${stats.engine.p99Us <= 50 ? 'met' : 'MISSED'}`);
console.log(JSON.stringify({ bench: 'policy-engine', node: process.version, policies: policies.length, grants: grants.length, iterations: ITERATIONS, ...stats, ratio, targetP99Us: 50, sink }));
