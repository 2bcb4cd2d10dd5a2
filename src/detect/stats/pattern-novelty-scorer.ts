import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { LevelQuantiser, levelQuantiserStateSchema } from './level-quantiser.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `pattern-novelty` algorithm. */
export const patternNoveltySchema = z
  .object({
    type: z.literal('pattern-novelty'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(150),
    /** Length of the recent shape compared with the remembered ones, in observations. */
    window: z.number().int().min(1).max(64).default(8),
    /** Most shapes remembered; the one matched least recently is replaced first. */
    capacity: z.number().int().min(1).max(1024).default(64),
    /**
     * Distance, as a fraction of the range seen so far, within which a shape counts as one already
     * remembered (and refines it); beyond it the shape is remembered as a new one.
     */
    radius: z.number().positive().max(1).default(0.1),
    /** Distance to the nearest remembered shape, in radii, at which the score reaches 0.5. */
    boundary: z.number().positive().default(2),
    /** Half-life over which the range relaxes towards the running mean, in observations. */
    rangeHalfLife: z.number().positive().default(20000),
  })
  .strict();

/** Parameters of the `pattern-novelty` algorithm, defaults applied. */
export type PatternNoveltyConfig = z.infer<typeof patternNoveltySchema>;

const ALGORITHM = 'pattern-novelty';
const VERSION = 1;
const prototypeSchema = z
  .object({ centre: z.array(z.number()), count: z.number().int().min(1), used: z.number().int().min(0) })
  .strict();
const stateSchema = z
  .object({
    step: z.number().int().min(0),
    quantiser: levelQuantiserStateSchema,
    recent: z.array(z.number()),
    prototypes: z.array(prototypeSchema),
  })
  .strict();

interface Prototype {
  centre: number[];
  count: number;
  used: number;
}

// A prototype learns its shape as the running mean of the windows it matched, but never slower
// than this, so a slowly drifting shape is followed rather than fossilised.
const MIN_LEARNING_RATE = 0.02;

/**
 * Novelty of the recent shape: the idea behind ARTime's adaptive-resonance categories and KNN-CAD's
 * nearest neighbours on NAB, as an online leader clustering of windows.
 *
 * The last `window` observations form a shape. The scorer remembers up to `capacity` prototype
 * shapes; the distance of the current shape to the nearest one (mean absolute difference, as a
 * fraction of the range seen so far) is its surprise, in units of `radius`. A shape within `radius`
 * of a prototype refines it (running mean); a farther one becomes a prototype itself, replacing
 * the least recently matched when memory is full. So the first spike, the first flat stretch, the
 * first step to a new level are novel, while a spike train or a daily burst stops alarming once its
 * shape has been seen: exactly where a level model keeps firing.
 *
 * Memory: `capacity * window` numbers. Time: O(capacity * window) per observation, a constant.
 */
export class PatternNoveltyScorer implements StreamScorer {
  private readonly quantiser: LevelQuantiser;
  private step: number;
  private readonly recent: number[];
  private readonly prototypes: Prototype[];

  constructor(
    private readonly config: PatternNoveltyConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    if (
      state !== undefined &&
      (state.recent.length > config.window ||
        state.prototypes.length > config.capacity ||
        state.prototypes.some((p) => p.centre.length !== config.window || p.used > state.step))
    ) {
      throw new ScorerSnapshotError(
        `"${ALGORITHM}" snapshot does not fit a window of ${config.window} and ${config.capacity} prototypes`,
      );
    }
    // The quantiser is used for its range only; its level count is irrelevant here.
    this.quantiser = new LevelQuantiser(2, config.rangeHalfLife, state?.quantiser);
    this.step = state?.step ?? 0;
    this.recent = state?.recent ?? [];
    this.prototypes = state?.prototypes ?? [];
  }

  update(value: number): ScoreResult {
    const ready = this.quantiser.samples >= this.config.warmup;
    const expected = this.quantiser.mean;
    const spread = this.quantiser.width;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    // + 0 turns -0 into 0, which is all a JSON snapshot can carry.
    this.recent.push(value + 0);
    if (this.recent.length > this.config.window) this.recent.shift();
    let surprise = 0;
    if (this.recent.length === this.config.window) {
      const scale = Math.max(spread, 1e-9 * Math.max(Math.abs(expected), 1));
      surprise = this.match(scale) / this.config.radius;
    }
    this.quantiser.absorb(value);
    this.step += 1;
    return { score: ready ? surpriseToScore(surprise, this.config.boundary) : 0, expected, spread, ready };
  }

  /** Distance of the current shape to the nearest prototype (then learns the shape); 0 for the first. */
  private match(scale: number): number {
    let nearest: Prototype | undefined;
    let bestSum = Number.POSITIVE_INFINITY;
    const n = this.recent.length;
    for (const p of this.prototypes) {
      // A prototype is abandoned as soon as its partial sum exceeds the best so far: the nearest
      // one is the same, at a fraction of the cost once a good match has been found.
      let sum = 0;
      for (let i = 0; i < n && sum < bestSum; i++) sum += Math.abs((this.recent[i] ?? 0) - (p.centre[i] ?? 0));
      if (sum < bestSum) {
        bestSum = sum;
        nearest = p;
      }
    }
    const best = bestSum / n / scale;
    if (nearest !== undefined && best <= this.config.radius) {
      this.refine(nearest);
      return best;
    }
    this.remember();
    return this.prototypes.length === 1 ? 0 : Math.min(best, Number.MAX_VALUE);
  }

  private refine(p: Prototype): void {
    const rate = Math.max(1 / (p.count + 1), MIN_LEARNING_RATE);
    const centre = p.centre.map((c, i) => c + rate * ((this.recent[i] ?? c) - c));
    // A shape whose arithmetic overflows is scored but not learnt, so the state stays finite.
    if (!centre.every(Number.isFinite)) return;
    p.centre = centre;
    p.count += 1;
    p.used = this.step;
  }

  private remember(): void {
    const shape: Prototype = { centre: [...this.recent], count: 1, used: this.step };
    if (this.prototypes.length < this.config.capacity) {
      this.prototypes.push(shape);
      return;
    }
    let oldest = 0;
    this.prototypes.forEach((p, i) => {
      if (p.used < (this.prototypes[oldest]?.used ?? 0)) oldest = i;
    });
    this.prototypes[oldest] = shape;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: {
        step: this.step,
        quantiser: this.quantiser.snapshot(),
        recent: [...this.recent],
        prototypes: this.prototypes.map((p) => ({ centre: [...p.centre], count: p.count, used: p.used })),
      },
    };
  }
}
