/**
 * The memory figure of `npm run bench`: heap per tracked entity of a Pipeline at
 * BENCH_MEMORY_ENTITIES pods (comma list), against an empty pipeline.
 */
import { runInNewContext } from 'node:vm';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { DEFAULT_PIPELINE_OPTIONS, Pipeline } from '../src/app.js';
import { loadConfig } from '../src/config/load-config.js';
import type { DetectorSpec } from '../src/detect/detector-spec.js';
import type { PlaybookSpec } from '../src/playbook/playbook-spec.js';
import { fmt, out } from './bench-output.js';
import { fluentBitLine } from './synthetic-lines.js';

const MIN = 60_000;

type Gc = () => void;

/** Pods measured at least per size: smaller sizes are measured over several pipelines. */
const MIN_PODS_MEASURED = 10_000;


/** `global.gc` when node runs with --expose-gc; otherwise the V8 flag set at run time, if allowed. */
function findGc(): { gc: Gc; how: string } | undefined {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === 'function') return { gc: exposed, how: 'global.gc (--expose-gc)' };
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return { gc: () => { (gc as Gc)(); }, how: 'gc exposed at run time (v8.setFlagsFromString)' };
  } catch {
    // fall through: no way to force a collection
  }
  return undefined;
}

/**
 * JS heap used without compiled code, the compiled code, and array buffer backing stores (outside
 * the JS heap), after a full collection. Code is reported apart: the optimizing compiler's output
 * grows with the paths a run exercised, not with the entities it tracks.
 */
function heapAfterGc(gc: Gc | undefined): { heap: number; code: number; buffers: number } {
  if (gc) for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  const code = getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith('code_'))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  return { heap: usage.heapUsed - code, code, buffers: usage.arrayBuffers };
}

export async function benchMemory(): Promise<void> {
  const sizes = (process.env.BENCH_MEMORY_ENTITIES ?? '1000,10000,50000').split(',').map(Number).filter((k) => Number.isInteger(k) && k > 0);
  const found = findGc();
  if (!found) out('  note: no way to force a GC here (run node with --expose-gc); figures include garbage and are upper bounds');
  else out(`  heap used after GC, via ${found.how}`);
  const config = await loadConfig(['detectors', 'playbooks']);
  if (config.problems.length > 0) throw new Error('detectors/playbooks do not validate; run meshwarden check');
  const detectors: DetectorSpec[] = config.detectors.map((d) => d.value);
  const playbooks: PlaybookSpec[] = config.playbooks.map((p) => p.value);
  const sinks = { deadLetters: { add: () => undefined }, ledger: { append: () => undefined, flush: () => Promise.resolve() } };
  const options = { ...DEFAULT_PIPELINE_OPTIONS, collect: false };

  const t0 = Date.UTC(2026, 10, 2, 8, 0, 0);
  /** Three minutes of traffic, two requests per pod per minute: every pod has closed, scored windows
   *  (features and detector baselines) and an open one, as in a running service. */
  const feed = (pipeline: Pipeline, k: number): void => {
    let position = 0;
    for (let minute = 0; minute < 3; minute++) {
      for (let r = 0; r < 2; r++) {
        for (let pod = 0; pod < k; pod++) {
          const at = t0 + minute * MIN + r * 20_000 + Math.floor((pod / k) * 19_000);
          pipeline.ingest(fluentBitLine(at, 'inference', `7d9c8b6f5-${pod.toString(36).padStart(5, '0')}`, position), { source: 'bench', position });
          position++;
        }
      }
    }
  };
  // Warm-up, thrown away: one-time allocations (compiled code and its feedback, lazily built
  // tables) are not per entity. Twelve thousand lines take the hot paths through the optimizing
  // compiler, as in a service that has run for a while; with a few hundred, the first size
  // measured paid for that compilation.
  feed(new Pipeline(detectors, playbooks, options, sinks), 2000);

  const empty = new Pipeline(detectors, playbooks, options, sinks);
  const baseline = heapAfterGc(found?.gc);
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  out(`  empty pipeline (baseline): ${mb(baseline.heap)} MB JS heap used (${mb(baseline.code)} MB compiled code besides), ${mb(baseline.buffers)} MB array buffers`);
  for (const k of sizes) {
    // At least ~10,000 pods' worth of pipelines: a thousand pods grow the heap by ~1 MB, as little as
    // what a collection leaves or takes by chance, so the small size is the mean of several pipelines.
    const copies = Math.max(1, Math.ceil(MIN_PODS_MEASURED / k));
    let pipelines: Pipeline[] | undefined = Array.from({ length: copies }, () => new Pipeline(detectors, playbooks, options, sinks));
    for (const pipeline of pipelines) feed(pipeline, k);
    const tracked = pipelines.reduce((n, pipeline) => n + pipeline.trackedEntities, 0);
    const used = heapAfterGc(found?.gc);
    const heap = used.heap - baseline.heap;
    const buffers = used.buffers - baseline.buffers;
    const perEntity = (heap + buffers) / tracked;
    const what = copies === 1 ? `${fmt(k).padStart(6)} pods` : `${fmt(k).padStart(6)} pods (${copies} pipelines)`;
    out(`  ${what}: ${fmt(tracked).padStart(7)} tracked entities, +${mb(heap).padStart(5)} MB heap +${mb(buffers).padStart(5)} MB array buffers over baseline = ${fmt(perEntity).padStart(6)} bytes per tracked entity (target <= 1,000) ${perEntity <= 1000 ? 'ok' : 'ABOVE TARGET'}; compiled code ${used.code >= baseline.code ? '+' : ''}${mb(used.code - baseline.code)} MB, not counted`);
    pipelines = undefined;
    heapAfterGc(found?.gc);
  }
  // Keep the baseline pipeline alive until the end, so it stays in every measurement.
  if (empty.trackedEntities !== 0) out('  (the empty pipeline tracked entities)');
}
