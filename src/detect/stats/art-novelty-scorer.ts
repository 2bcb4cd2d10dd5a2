import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import type { FuzzyArtOptions } from './fuzzy-art-memory.js';
import { FuzzyArtMemory, fuzzyArtStateSchema } from './fuzzy-art-memory.js';
import { LevelQuantiser, levelQuantiserStateSchema } from './level-quantiser.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `art-novelty` algorithm. */
export const artNoveltySchema = z
  .object({
    type: z.literal('art-novelty'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(150),
    /** Observations summarised by one feature vector. */
    window: z.number().int().min(1).max(256).default(16),
    /** Equal stretches of the window whose means are features (the shape, oldest first). */
    segments: z.number().int().min(1).max(32).default(4),
    /** Most categories remembered (at most 1024). */
    capacity: z.number().int().min(1).max(1024).default(64),
    /** Starting vigilance: a category's box may span `1 - vigilance` of the (weighted) feature space. */
    vigilance: z.number().gt(0).lt(1).default(0.9),
    /** Lowest vigilance the memory adapts down to when it keeps overflowing. */
    minVigilance: z.number().gt(0).lt(1).default(0.7),
    /** Vigilance given up each time a full memory forgets a category. */
    vigilanceStep: z.number().min(0).max(0.5).default(0.01),
    /** Fraction of the way a resonating category's box grows towards the input (1: fuzzy ART's fast learning). */
    learningRate: z.number().gt(0).max(1).default(1),
    /**
     * Weight of the time of day (two features: the hour on a circle), relative to one shape
     * feature's weight of 1; 0 leaves time out. With a weight, a burst at the hour of yesterday's
     * bursts resonates with their category while the same burst at another hour does not.
     */
    timeOfDay: z.number().min(0).max(16).default(0),
    /** Novelty (growth of the nearest box, in vigilance budgets) at which the score reaches 0.5. */
    boundary: z.number().positive().default(1),
    /** Half-life over which the range relaxes towards the running mean, in observations. */
    rangeHalfLife: z.number().positive().default(20000),
  })
  .strict()
  .refine((c) => c.segments <= c.window, { message: 'segments must not exceed window', path: ['segments'] })
  .refine((c) => c.minVigilance <= c.vigilance, { message: 'minVigilance must not exceed vigilance', path: ['minVigilance'] });

/** Parameters of the `art-novelty` algorithm, defaults applied. */
export type ArtNoveltyConfig = z.infer<typeof artNoveltySchema>;

const ALGORITHM = 'art-novelty';
const VERSION = 1;
const stateSchema = z
  .object({
    quantiser: levelQuantiserStateSchema,
    recent: z.array(z.number()),
    memory: fuzzyArtStateSchema,
  })
  .strict();

const DAY_MS = 86_400_000;

/**
 * Novelty of the recent stretch as adaptive resonance, after ARTime (the best published NAB
 * detector): the last `window` observations, each placed in the range the series has shown so far
 * (0 at its running minimum, 1 at its running maximum), are summarised by the means of `segments`
 * equal stretches plus their spread (maximum minus minimum), and optionally the time of day. The
 * feature vector is presented to a fuzzy ART category memory ({@link FuzzyArtMemory}); the
 * surprise is how far the vector lies outside the nearest category's box, in units of the box
 * size vigilance allows. Unlike a nearest-prototype memory, a category covers the whole range of
 * shapes it has absorbed, so the jitter of a noisy series sits inside a box and scores 0, while a
 * shape outside every box is novel until it has been seen.
 *
 * Memory: `window` observations and `capacity` boxes of `segments + 1` (+ 2 with time of day)
 * features. Time: O(window + capacity * features) per observation.
 */
export class ArtNoveltyScorer implements StreamScorer {
  private readonly quantiser: LevelQuantiser;
  private readonly recent: number[];
  private readonly memory: FuzzyArtMemory;

  constructor(
    private readonly config: ArtNoveltyConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    const options = memoryOptions(config);
    if (state !== undefined && (state.recent.length > config.window || !FuzzyArtMemory.fits(options, state.memory))) {
      throw new ScorerSnapshotError(
        `"${ALGORITHM}" snapshot does not fit a window of ${config.window}, ${options.weights.length} features and ${config.capacity} categories`,
      );
    }
    // The quantiser is used for its range only; its level count is irrelevant here.
    this.quantiser = new LevelQuantiser(2, config.rangeHalfLife, state?.quantiser);
    this.recent = state?.recent ?? [];
    this.memory = new FuzzyArtMemory(options, state?.memory);
  }

  update(value: number, timestampMs: number): ScoreResult {
    const ready = this.quantiser.samples >= this.config.warmup;
    const expected = this.quantiser.mean;
    const spread = this.quantiser.width;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    // + 0 turns -0 into 0, which is all a JSON snapshot can carry.
    this.recent.push(value + 0);
    if (this.recent.length > this.config.window) this.recent.shift();
    let surprise = 0;
    if (this.recent.length === this.config.window) surprise = this.memory.present(this.features(timestampMs)).novelty;
    this.quantiser.absorb(value);
    return { score: ready ? surpriseToScore(surprise, this.config.boundary) : 0, expected, spread, ready };
  }

  /** The feature vector of the current window, every feature in [0, 1]. */
  private features(timestampMs: number): number[] {
    const { window, segments } = this.config;
    const low = this.quantiser.low;
    const width = this.quantiser.width;
    // Before the range has a width (no or constant observations) every position is 0.
    const position = (v: number): number => {
      if (!(width > 0) || !Number.isFinite(width)) return 0;
      const p = (v - low) / width;
      return p > 0 ? Math.min(p, 1) : 0;
    };
    const features: number[] = [];
    let min = 1;
    let max = 0;
    for (let s = 0; s < segments; s++) {
      const from = Math.floor((s * window) / segments);
      const to = Math.floor(((s + 1) * window) / segments);
      let sum = 0;
      for (let i = from; i < to; i++) {
        const p = position(this.recent[i] ?? 0);
        sum += p;
        min = Math.min(min, p);
        max = Math.max(max, p);
      }
      features.push(sum / (to - from));
    }
    features.push(Math.max(max - min, 0));
    if (this.config.timeOfDay > 0) {
      // A timestamp the engine could not date (not finite) sits at midnight rather than failing.
      const t = Number.isFinite(timestampMs) ? timestampMs : 0;
      const angle = (2 * Math.PI * (((t % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
      features.push(0.5 + 0.5 * Math.cos(angle), 0.5 + 0.5 * Math.sin(angle));
    }
    return features;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: { quantiser: this.quantiser.snapshot(), recent: [...this.recent], memory: this.memory.snapshot() },
    };
  }
}

function memoryOptions(config: ArtNoveltyConfig): FuzzyArtOptions {
  const shape = Array.from({ length: config.segments + 1 }, () => 1);
  const time = config.timeOfDay > 0 ? [config.timeOfDay, config.timeOfDay] : [];
  return {
    weights: [...shape, ...time],
    capacity: config.capacity,
    vigilance: config.vigilance,
    minVigilance: config.minVigilance,
    vigilanceStep: config.vigilanceStep,
    learningRate: config.learningRate,
  };
}
