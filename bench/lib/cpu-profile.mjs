// Reading a V8 CPU profile (.cpuprofile, from node --cpu-prof or the inspector's Profiler) for the
// benches: where the busy time goes, by function (self time), by package or source area, and by
// stage, a bench-supplied classification of each sample's whole stack (leaf first). Time is
// attributed from the samples and their time deltas, so it is exact for the sampled window.

const root = new URL('../..', import.meta.url).pathname;

/** A short place for a script URL: the package, or the path inside the repository, or node:… */
function place(url) {
  if (!url) return '';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) return path.slice(nm + '/node_modules/'.length);
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/** The area a frame belongs to: an npm package, a folder of AIM's server, node internals, or V8 itself. */
function area(frame) {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const p = place(url);
  if (p.startsWith('node:')) return 'node:internal';
  if (url.includes('/node_modules/')) {
    const parts = p.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = p.match(/^apps\/server\/dist\/(.*)\/[^/]+$/);
  if (dist) return `aim:${dist[1]}`;
  return p;
}

/**
 * Summarize a profile. Time is attributed from the samples (and their time deltas), so it is exact
 * for the sampled window. Returns totals in ms and sorted tables.
 */
export function summarizeProfile(profile, { classify } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one (V8's deltas are the gaps before each sample).
    const dt = i + 1 < deltas.length ? deltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  let total = 0;
  let idle = 0;
  const fn = new Map();
  const areas = new Map();
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const key = frame.url ? `${name}  ${place(frame.url)}:${frame.lineNumber + 1}` : name;
    add(fn, key, us);
    add(areas, area(frame), us);
  }
  // Stages: the classifier sees each sample's stack, leaf first.
  const stages = new Map();
  if (classify) {
    const stackOf = (id) => {
      const frames = [];
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) frames.push(byId.get(cur).callFrame);
      return frames;
    };
    for (const [id, us] of selfUs) {
      if (byId.get(id).callFrame.functionName === '(idle)') continue;
      add(stages, classify(stackOf(id)), us);
    }
  }
  const busy = total - idle;
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ name: k, ms: us / 1000, share: busy ? us / busy : 0 }));
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    functions: sorted(fn),
    areas: sorted(areas),
    stages: sorted(stages),
  };
}

/** The summary as text lines: busy share, stages, areas, top functions by self time. */
export function formatProfile(summary, { top = 25, topAreas = 12 } = {}) {
  const pct = (x) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const lines = [`busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled (${pct(summary.busyMs / summary.totalMs).trim()} of one core)`];
  if (summary.stages.length > 0) {
    lines.push('  by stage (share of busy time):');
    for (const st of summary.stages) lines.push(`    ${pct(st.share)}  ${st.name}`);
  }
  lines.push('  by area (self time, share of busy time):');
  for (const a of summary.areas.slice(0, topAreas)) lines.push(`    ${pct(a.share)}  ${a.name}`);
  lines.push(`  top ${top} functions (self time):`);
  for (const f of summary.functions.slice(0, top)) lines.push(`    ${pct(f.share)}  ${f.name}`);
  return lines;
}
