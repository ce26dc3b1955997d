// CPU accounting from /proc for benches: this process (the load), groups of other processes (the
// server, PostgreSQL, Redis…) and the whole machine, over a window. Linux only; elsewhere the
// figures are NaN.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const CLK_TCK = 100;

/** utime + stime of a process in clock ticks, or NaN when it is gone (or not readable). */
export function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

function machineTicks() {
  try {
    const values = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: values[3] + values[4], total: values.reduce((a, b) => a + b, 0) };
  } catch {
    return { idle: NaN, total: NaN };
  }
}

/** Every process as { pid, ppid, title } (title: the command line, arguments joined by spaces). */
export function listProcesses() {
  const procs = [];
  let names = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return procs;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const title = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      procs.push({ pid: Number(name), ppid, title });
    } catch {}
  }
  return procs;
}

/**
 * Start measuring; `groups` maps a name to a function giving that group's pids now (called at the
 * start and at the end: processes that appeared in between count with all their time). The returned
 * function gives CPU use since the start, in cores (1 = one core busy): `load` (this process), one
 * entry per group, `machine`, and `others` (the machine less all of those).
 */
export function cpuMeter(groups) {
  const t0 = performance.now();
  const load0 = process.cpuUsage();
  const machine0 = machineTicks();
  const start = Object.fromEntries(
    Object.entries(groups).map(([name, pids]) => {
      const list = pids();
      return [name, new Map(list.map((pid) => [pid, processTicks(pid)]))];
    }),
  );
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const load = process.cpuUsage(load0);
    const machine1 = machineTicks();
    const result = { load: (load.user + load.system) / 1e6 / seconds };
    for (const [name, pids] of Object.entries(groups)) {
      const before = start[name];
      let ticks = 0;
      for (const [pid, t0_] of before) {
        const t = processTicks(pid);
        if (!Number.isNaN(t) && !Number.isNaN(t0_)) ticks += t - t0_;
      }
      for (const pid of pids()) if (!before.has(pid)) ticks += processTicks(pid) || 0;
      result[name] = ticks / CLK_TCK / seconds;
    }
    result.machine = (1 - (machine1.idle - machine0.idle) / (machine1.total - machine0.total)) * cpus().length;
    result.others = result.machine - result.load - Object.keys(groups).reduce((sum, name) => sum + result[name], 0);
    return result;
  };
}
