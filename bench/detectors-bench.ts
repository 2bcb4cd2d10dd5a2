/**
 * Per-sample cost of every statistical algorithm, next to a trivial loop over the same samples
 * measured in the same run: on a shared, noisy machine only the ratio is meaningful.
 */
import type { AlgorithmInput } from '../src/detect/stats/algorithm-registry.js';
import { algorithmSchema, createScorer } from '../src/detect/stats/algorithm-registry.js';
import { builtInAlgorithms } from '../src/detect/stats/built-in-algorithms.js';

/** One measured algorithm. */
export interface DetectorBenchRow {
  readonly algorithm: string;
  readonly nsPerSample: number;
  readonly baselineNsPerSample: number;
}

const SAMPLES = 200_000;
const ROUNDS = 3;
const STEP_MS = 60_000;

const CASES: readonly (readonly [string, AlgorithmInput])[] = [
  ['robust-zscore', { type: 'robust-zscore' }],
  ['cusum', { type: 'cusum' }],
  ['ewma', { type: 'ewma' }],
  ['page-hinkley', { type: 'page-hinkley' }],
  ['seasonal', { type: 'seasonal' }],
  ['threshold', { type: 'threshold', warn: 0.1, critical: 0.25 }],
  ['context-novelty', { type: 'context-novelty' }],
  ['relative-entropy', { type: 'relative-entropy' }],
  ['pattern-novelty', { type: 'pattern-novelty' }],
  ['art-novelty', { type: 'art-novelty' }],
  ['ensemble meshwarden', builtInAlgorithms.meshwarden ?? { type: 'ewma' }],
  ['ensemble meshwarden-novelty', builtInAlgorithms['meshwarden-novelty'] ?? { type: 'ewma' }],
  ['ensemble meshwarden-recurrence', builtInAlgorithms['meshwarden-recurrence'] ?? { type: 'ewma' }],
];

/** A deterministic series with a daily rhythm, noise and occasional spikes. */
function makeSeries(): Float64Array {
  const values = new Float64Array(SAMPLES);
  let seed = 42;
  for (let i = 0; i < SAMPLES; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const noise = seed / 2147483648 - 0.5;
    values[i] = 100 + 20 * Math.sin((2 * Math.PI * i) / 1440) + 5 * noise + (i % 997 === 0 ? 80 : 0);
  }
  return values;
}

function bestNs(run: () => number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    const count = run();
    const elapsed = Number(process.hrtime.bigint() - started);
    best = Math.min(best, elapsed / count);
  }
  return best;
}

/**
 * Measures each algorithm (fresh scorer per round, best of three rounds) and a baseline loop that
 * does the least a scorer must do per sample: read the value and timestamp, update one running
 * average and return an object.
 */
export function benchDetectors(): DetectorBenchRow[] {
  const values = makeSeries();
  let sink = 0;
  const baseline = (): number => {
    let mean = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? 0;
      mean += 0.01 * (v - mean);
      const result = { score: mean > 1e9 ? 1 : 0, expected: mean, spread: 1, ready: i > 30, at: i * STEP_MS };
      sink += result.score;
    }
    return values.length;
  };
  const rows = CASES.map(([algorithm, input]) => {
    const config = algorithmSchema.parse(input);
    // The baseline is measured right before each algorithm, so both figures of a row share the
    // machine's state of the moment (frequency, other tenants' load).
    const baselineNsPerSample = bestNs(baseline);
    const nsPerSample = bestNs(() => {
      const scorer = createScorer(config);
      for (let i = 0; i < values.length; i++) sink += scorer.update(values[i] ?? 0, i * STEP_MS).score;
      return values.length;
    });
    return { algorithm, nsPerSample, baselineNsPerSample };
  });
  // The sink keeps the loops from being optimised away; it is never meaningful.
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return rows;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  for (const row of benchDetectors()) {
    process.stdout.write(
      `${row.algorithm.padEnd(22)} ${row.nsPerSample.toFixed(0).padStart(6)} ns/sample  x${(row.nsPerSample / row.baselineNsPerSample).toFixed(1)} baseline (${row.baselineNsPerSample.toFixed(1)} ns)\n`,
    );
  }
}
