/**
 * CPU time of each thread of this process (Linux: /proc/self/task), for `BENCH_THREADS=1`: where a
 * run's CPU went, by thread (the main thread, detection workers, the autoencoder's training thread,
 * V8's helper threads: background compilation and garbage collection). Threads are named by id;
 * the main thread's id is the pid.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds by thread id; empty where /proc is not there. */
export function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  const tick = 10; // USER_HZ is 100 on Linux
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * tick);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** The threads that used at least `minMs` between two samples, busiest first: "main 812 ms, 28735 1,720 ms, ...". */
export function describeThreadCpu(before: Map<number, number>, after: Map<number, number>, minMs = 50): string {
  const rows: [string, number][] = [];
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0);
    if (used >= minMs) rows.push([tid === process.pid ? 'main' : String(tid), used]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return rows.map(([name, ms]) => `${name} ${Math.round(ms).toLocaleString('en-US')} ms`).join(', ');
}
