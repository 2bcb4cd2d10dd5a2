import type { AlgorithmConfig, AlgorithmInput, EnsembleInput } from './algorithm-registry.js';
import { algorithmSchema } from './algorithm-registry.js';

/**
 * The general-purpose detector: a level model (EWMA), a daily-rhythm model (seasonal) and a
 * novelty-of-level model (range), each calibrated against its own score history on the series,
 * combined by `max`, with repeated alarms held off. The seasonal baselines are deliberately
 * non-robust (`clip: 1000`): on bursty series a robust scale collapses to the quiet level and every
 * routine burst would look extreme. One fixed parameter set for every series; this is what
 * `docs/detection.md` benchmarks.
 */
const meshwarden: EnsembleInput = {
  type: 'ensemble',
  combine: 'max',
  calibration: { halfLife: 2000, warmup: 100, minSpread: 0.05 },
  holdoff: { halfLife: 200, damping: 0.5 },
  members: [
    { type: 'ewma', halfLife: 1000, zAlarm: 6 },
    { type: 'seasonal', period: 'day', clip: 1000, zAlarm: 6 },
    { type: 'range', halfLife: 5000, tolerance: 0.1 },
  ],
};

/**
 * The `meshwarden` ensemble plus a novelty-of-shape member (`pattern-novelty`): the level and
 * rhythm members say how far an observation is from what was expected, the shape member whether
 * the recent stretch looks like anything the series has done before, so a spike train or a daily
 * burst stops alarming once seen while a first-of-its-kind event still does. Chosen by
 * leave-one-category-out cross-validation on NAB's development categories (docs/detection.md),
 * for the stability of its held-out scores across categories rather than its in-sample score.
 */
const meshwardenNovelty: EnsembleInput = {
  ...meshwarden,
  members: [...meshwarden.members, { type: 'pattern-novelty', window: 8, radius: 0.1, capacity: 64 }],
};

/**
 * `meshwarden-novelty` with alarms that recur at the same time of day damped (`recurrence`): a
 * nightly job's spike alarms the first night, then only by how much it exceeds the nights before.
 * Its cross-validated gain on NAB's development categories is real for the fixed setting but was
 * found looking at those folds, and a grid chosen per fold does not keep it (docs/detection.md).
 */
const meshwardenRecurrence: EnsembleInput = {
  ...meshwardenNovelty,
  recurrence: { buckets: 48, reach: 1, halfLife: 7, damping: 0.5 },
};

/**
 * Named algorithm declarations usable wherever a detector file is expected (e.g.
 * `meshwarden bench nab --detector meshwarden`): each single algorithm with its defaults, and the
 * `meshwarden` ensemble.
 */
export const builtInAlgorithms: Readonly<Record<string, AlgorithmInput>> = {
  meshwarden,
  'meshwarden-novelty': meshwardenNovelty,
  'meshwarden-recurrence': meshwardenRecurrence,
  'robust-zscore': { type: 'robust-zscore' },
  cusum: { type: 'cusum' },
  ewma: { type: 'ewma' },
  'page-hinkley': { type: 'page-hinkley' },
  seasonal: { type: 'seasonal' },
  range: { type: 'range' },
  'context-novelty': { type: 'context-novelty' },
  'relative-entropy': { type: 'relative-entropy' },
  'pattern-novelty': { type: 'pattern-novelty' },
  'art-novelty': { type: 'art-novelty' },
};

/** The parsed built-in declaration called `name`, or undefined when there is none. */
export function builtInAlgorithm(name: string): AlgorithmConfig | undefined {
  const input = Object.hasOwn(builtInAlgorithms, name) ? builtInAlgorithms[name] : undefined;
  return input === undefined ? undefined : algorithmSchema.parse(input);
}
