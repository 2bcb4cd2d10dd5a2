/**
 * Scoring throughput of the autoencoder detector, one window per call and in batches, next to a
 * trivial vector scorer over the same windows measured in the same run: on a shared, noisy machine
 * only the ratios are meaningful.
 *
 *   npx tsx bench/autoencoder-bench.ts
 */
import { pathToFileURL } from 'node:url';
import { autoencoderConfigSchema } from '../src/detect/autoencoder/autoencoder-config.js';
import { AutoencoderDetector } from '../src/detect/autoencoder/autoencoder-detector.js';
import { loadTensorflow } from '../src/detect/autoencoder/tensorflow-runtime.js';
import type { FeatureWindow } from '../src/features/feature-window.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { seededRandom } from '../src/shared/random.js';

/** What one run measured. */
export interface AutoencoderBenchResult {
  /** Windows scored per second in batches of {@link BATCH} (`observeBatch`). */
  readonly vectorsPerSecond: number;
  /** Windows scored per second one at a time (`observe`). */
  readonly singleVectorsPerSecond: number;
  /** Windows per second of the trivial scorer (per-feature robust z, sum of squares). */
  readonly baselineVectorsPerSecond: number;
  /** TensorFlow.js backend the model ran on. */
  readonly backend: string;
  /** Wall time of training the model the scores come from. */
  readonly trainMs: number;
}

const FEATURES = [
  'request_rate', 'ratio_4xx', 'ratio_5xx', 'ratio_401_403', 'ratio_flagged', 'latency_p95', 'bytes_out', 'egress_bytes', 'distinct_peers',
] as const;
const TRAIN_WINDOWS = 1000;
const SCORE_WINDOWS = 4000;
/** About the number of windows one watermark advance closes on a mid-sized mesh. */
const BATCH = 64;
const ROUNDS = 3;

function makeWindows(count: number, seed: number): FeatureWindow[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i): FeatureWindow => {
    const e = i % 20;
    const rate = 5 * 2 ** (e / 4) * (0.9 + 0.2 * random());
    const features: Record<string, number> = {
      request_rate: rate,
      ratio_4xx: 0.02 + 0.01 * random(),
      ratio_5xx: 0.004 * random(),
      ratio_401_403: 0.004 * random(),
      ratio_flagged: 0.003 * random(),
      latency_p95: (60 + 0.4 * rate) * (0.9 + 0.2 * random()),
      bytes_out: rate * 120_000 * (0.9 + 0.2 * random()),
      egress_bytes: rate * 30_000 * (0.9 + 0.2 * random()),
      distinct_peers: 2 + (e % 3),
    };
    const minute = Math.floor(i / 20);
    return {
      entity: { key: `workload:bench/svc-${e}`, kind: 'workload', namespace: 'bench', name: `svc-${e}` },
      windowStart: minute * 60_000, windowEnd: (minute + 1) * 60_000, features, details: {},
    };
  });
}

function bestRate(run: () => number): number {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    const units = run();
    best = Math.max(best, units / ((performance.now() - started) / 1000));
  }
  return best;
}

/**
 * Trains a detector on {@link TRAIN_WINDOWS} windows, then measures scoring {@link SCORE_WINDOWS}
 * windows singly and in batches (best of three rounds each), and the trivial baseline: per window,
 * read every feature, z-score it against a fixed median and spread, sum the squares and return an
 * object, which is the least any vector scorer does.
 */
export async function benchAutoencoder(): Promise<AutoencoderBenchResult> {
  const logger = silentLogger();
  const tensorflow = await loadTensorflow({ logger });
  const config = autoencoderConfigSchema.parse({
    type: 'autoencoder', features: [...FEATURES], trainAfter: TRAIN_WINDOWS, retrainEvery: Number.MAX_SAFE_INTEGER, epochs: 10,
  });
  const detector = new AutoencoderDetector(config, { logger, clock: systemClock, tensorflow });
  detector.observeBatch(makeWindows(TRAIN_WINDOWS, 1));
  const trainStarted = performance.now();
  const outcome = await detector.maybeRetrain();
  const trainMs = performance.now() - trainStarted;
  if (outcome.status !== 'trained') throw new Error(`training did not happen: ${outcome.status}`);

  const windows = makeWindows(SCORE_WINDOWS, 2);
  let sink = 0;
  const baselineVectorsPerSecond = bestRate(() => {
    for (const w of windows) {
      let sum = 0;
      for (const name of FEATURES) {
        const z = ((w.features[name] ?? 0) - 1) / 2;
        sum += z * z;
      }
      const verdict = { score: sum / (1 + sum), error: Math.sqrt(sum) };
      sink += verdict.score;
    }
    return windows.length;
  });
  const singleVectorsPerSecond = bestRate(() => {
    for (const w of windows) sink += detector.observe(w)?.score ?? 0;
    return windows.length;
  });
  const vectorsPerSecond = bestRate(() => {
    for (let i = 0; i < windows.length; i += BATCH) {
      for (const verdict of detector.observeBatch(windows.slice(i, i + BATCH))) sink += verdict?.score ?? 0;
    }
    return windows.length;
  });
  await detector.close();
  // The sink keeps the loops from being optimised away; it is never meaningful.
  if (Number.isNaN(sink)) throw new Error('scores went NaN');
  return { vectorsPerSecond, singleVectorsPerSecond, baselineVectorsPerSecond, backend: tensorflow.backend, trainMs };
}

async function main(): Promise<void> {
  const r = await benchAutoencoder();
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);
  process.stdout.write(`autoencoder scoring (backend ${r.backend}, ${FEATURES.length} features, hidden [8, 3]; best of ${ROUNDS})\n`);
  process.stdout.write(`  trivial vector scorer      ${fmt(r.baselineVectorsPerSecond)} windows/s\n`);
  process.stdout.write(`  observeBatch (${BATCH} per call) ${fmt(r.vectorsPerSecond)} windows/s   x${(r.baselineVectorsPerSecond / r.vectorsPerSecond).toFixed(0)} slower than trivial\n`);
  process.stdout.write(`  observe (1 per call)       ${fmt(r.singleVectorsPerSecond)} windows/s   x${(r.baselineVectorsPerSecond / r.singleVectorsPerSecond).toFixed(0)} slower than trivial\n`);
  process.stdout.write(`  training ${TRAIN_WINDOWS} windows x 10 epochs: ${Math.round(r.trainMs)} ms\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
