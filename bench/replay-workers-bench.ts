/**
 * The embedded replay split into two partitions (`meshwarden run --partitions 2`), its detection
 * in this thread (1 worker) and on two worker threads (2 workers): lines per second of each, best
 * of `rounds`, and their ratio. Both give the same report (test/e2e/partitioned-replay.test.ts).
 *
 * Steady state, as a long replay or the service runs: one pool of workers and one autoencoder
 * training thread serve every round, and one replay of each kind runs first unmeasured, so neither
 * side pays for starting threads and compiling and optimising code (a fresh pool per round would
 * charge the workers for it and not this thread; a fresh training thread loads TensorFlow.js on
 * the core that the second worker needs, and the one-worker run's idle core for free).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PIPELINE_OPTIONS } from '../src/app.js';
import { loadAutoencoders } from '../src/detect/autoencoder/load-autoencoders.js';
import type { TrainingThread } from '../src/detect/autoencoder/training-thread.js';
import { out } from './bench-output.js';
import type { DetectorSpec } from '../src/detect/detector-spec.js';
import { PartitionedReplay } from '../src/embedded/partitioned-replay.js';
import type { PlaybookSpec } from '../src/playbook/playbook-spec.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { DetectionPool } from '../src/workers/detection-pool.js';

/** Lines per second through a two-partition replay on `workers` workers, and its anomalies. */
async function replayRate(lines: readonly string[], detectors: readonly DetectorSpec[], playbooks: readonly PlaybookSpec[], pool: DetectionPool | undefined, trainingThread: TrainingThread): Promise<{ rate: number; anomalies: number; cpuMicros: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'meshwarden-bench-replay-'));
  try {
    const autoencoders = await loadAutoencoders(detectors, stateDir, { clock: systemClock, logger: silentLogger(), trainingThread });
    const started = performance.now();
    const cpu = process.cpuUsage();
    const replay = await PartitionedReplay.open({
      partitions: 2, ...(pool ? { pool } : {}), detectors, playbooks, options: DEFAULT_PIPELINE_OPTIONS, source: 'bench', state: {},
      sinks: { deadLetters: { add: () => undefined }, ledger: { append: () => undefined, flush: () => Promise.resolve() } },
      shared: { clock: systemClock, autoencoders },
    });
    for (let i = 0; i < lines.length; i++) await replay.add(lines[i] ?? '', i + 1);
    await replay.finish();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    for (const model of autoencoders.values()) await model.close();
    return { rate: lines.length / seconds, anomalies: replay.anomalies.length, cpuMicros: (used.user + used.system) / lines.length };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Prints the figure; returns the ratio of 2 workers to 1. `trainingThread`: the one every round trains on. */
export async function benchReplayWorkers(lines: readonly string[], detectors: readonly DetectorSpec[], playbooks: readonly PlaybookSpec[], rounds: number, trainingThread: TrainingThread): Promise<number> {
  const best = { 1: { rate: 0, anomalies: 0, cpuMicros: 0 }, 2: { rate: 0, anomalies: 0, cpuMicros: 0 } };
  const pool = new DetectionPool(2, silentLogger());
  try {
    await pool.warm();
    const poolFor = (workers: 1 | 2): DetectionPool | undefined => (workers > 1 ? pool : undefined);
    for (const workers of [1, 2] as const) await replayRate(lines, detectors, playbooks, poolFor(workers), trainingThread);
    // Alternated, so drifting load on the machine falls on both alike.
    for (let round = 0; round < rounds; round++) {
      for (const workers of [1, 2] as const) {
        const result = await replayRate(lines, detectors, playbooks, poolFor(workers), trainingThread);
        if (result.rate > best[workers].rate) best[workers] = result;
      }
    }
  } finally {
    await pool.close();
  }
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);
  out('embedded replay in 2 partitions (meshwarden run --partitions 2), every detector and playbook, steady state');
  out(`  1 worker (detection in this thread)  ${fmt(best[1].rate)} lines/s   ${best[1].cpuMicros.toFixed(1)} us CPU/line (best of ${rounds}; ${best[1].anomalies} anomalies)`);
  out(`  2 workers                            ${fmt(best[2].rate)} lines/s   ${best[2].cpuMicros.toFixed(1)} us CPU/line (best of ${rounds}; ${best[2].anomalies} anomalies)`);
  const ratio = best[2].rate / best[1].rate;
  out(`  ratio 2 workers / 1 worker           ${ratio.toFixed(2).padStart(12)}   (target >= 1.60) ${ratio >= 1.6 ? 'ok' : 'BELOW TARGET'}`);
  return ratio;
}
