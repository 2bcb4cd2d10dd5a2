import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { LevelQuantiser, levelQuantiserStateSchema } from './level-quantiser.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { halfLifeToAlpha } from './robust-baseline.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `relative-entropy` algorithm. */
export const relativeEntropySchema = z
  .object({
    type: z.literal('relative-entropy'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(150),
    /** Number of histogram bins the series' range is cut into. */
    levels: z.number().int().min(2).max(32).default(10),
    /** Observations in the recent window whose histogram is compared with the long run. */
    window: z.number().int().min(2).max(1000).default(30),
    /** Half-life of the long-run histogram, in observations. */
    halfLife: z.number().positive().default(2000),
    /** Half-life over which the bin range relaxes towards the running mean, in observations. */
    rangeHalfLife: z.number().positive().default(20000),
    /**
     * Divergence, as the G statistic `2 * window * KL` over its null expectation `levels - 1`, at
     * which the score reaches 0.5.
     */
    boundary: z.number().positive().default(3),
  })
  .strict();

/** Parameters of the `relative-entropy` algorithm, defaults applied. */
export type RelativeEntropyConfig = z.infer<typeof relativeEntropySchema>;

const ALGORITHM = 'relative-entropy';
const VERSION = 1;
const stateSchema = z
  .object({
    quantiser: levelQuantiserStateSchema,
    recent: z.array(z.number().int().min(0)),
    reference: z.array(z.number().min(0)),
  })
  .strict();

// Mass given to every bin of the long-run histogram, so a bin never seen has a finite (large)
// divergence rather than an infinite one.
const SMOOTHING = 0.5;

/**
 * Relative entropy of the recent distribution against the long-run one (Wang et al., "Statistical
 * techniques for online anomaly detection in data centers", as benchmarked on NAB): the last
 * `window` observations are binned into a histogram over the range seen so far, and compared with
 * an exponentially fading histogram of everything before by the Kullback-Leibler divergence. Under
 * "nothing changed", `G = 2 * window * KL` is about chi-square with `levels - 1` degrees of
 * freedom; the surprise is `G / (levels - 1)`. Catches a change of shape (a series that starts
 * flapping, a noise level that doubles) that no single observation betrays.
 *
 * Memory: `window` levels and `levels` counts. Time: O(levels) per observation.
 */
export class RelativeEntropyScorer implements StreamScorer {
  private readonly quantiser: LevelQuantiser;
  private readonly fade: number;
  // A ring of the window's levels; `next` is where the newest goes (and, once full, the oldest is).
  private readonly recent: number[];
  private next: number;
  private readonly recentCounts: number[];
  private readonly reference: number[];

  constructor(
    private readonly config: RelativeEntropyConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    if (
      state !== undefined &&
      (state.recent.length > config.window ||
        state.recent.some((l) => l >= config.levels) ||
        state.reference.length !== config.levels)
    ) {
      throw new ScorerSnapshotError(`"${ALGORITHM}" snapshot does not fit ${config.levels} levels and a window of ${config.window}`);
    }
    this.quantiser = new LevelQuantiser(config.levels, config.rangeHalfLife, state?.quantiser);
    this.fade = 1 - halfLifeToAlpha(config.halfLife);
    this.recent = state?.recent ?? [];
    this.next = this.recent.length % config.window;
    this.reference = state?.reference ?? new Array<number>(config.levels).fill(0);
    this.recentCounts = new Array<number>(config.levels).fill(0);
    for (const level of this.recent) this.recentCounts[level] = (this.recentCounts[level] ?? 0) + 1;
  }

  update(value: number): ScoreResult {
    const ready = this.quantiser.samples >= this.config.warmup;
    const expected = this.quantiser.mean;
    const spread = this.quantiser.width;
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    const level = this.quantiser.level(value);

    // The observation leaving the window joins the long-run histogram; the new one enters the window.
    if (this.recent.length === this.config.window) {
      const leaving = this.recent[this.next] ?? 0;
      this.recentCounts[leaving] = (this.recentCounts[leaving] ?? 0) - 1;
      for (let i = 0; i < this.reference.length; i++) this.reference[i] = (this.reference[i] ?? 0) * this.fade;
      this.reference[leaving] = (this.reference[leaving] ?? 0) + 1;
    }
    this.recent[this.next] = level;
    this.next = (this.next + 1) % this.config.window;
    this.recentCounts[level] = (this.recentCounts[level] ?? 0) + 1;
    const surprise = this.divergence();
    this.quantiser.absorb(value);
    return { score: ready ? surpriseToScore(surprise, this.config.boundary) : 0, expected, spread, ready };
  }

  /** `2 * n * KL(recent || reference) / (levels - 1)`, 0 until both histograms hold something. */
  private divergence(): number {
    const n = this.recent.length;
    let total = 0;
    for (const c of this.reference) total += c;
    if (n === 0 || total === 0) return 0;
    const denominator = total + SMOOTHING * this.config.levels;
    let kl = 0;
    for (let i = 0; i < this.config.levels; i++) {
      const c = this.recentCounts[i] ?? 0;
      if (c === 0) continue;
      const p = c / n;
      const q = ((this.reference[i] ?? 0) + SMOOTHING) / denominator;
      kl += p * Math.log(p / q);
    }
    return (2 * n * Math.max(kl, 0)) / (this.config.levels - 1);
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: {
        quantiser: this.quantiser.snapshot(),
        // Oldest first, so a restored ring (which starts writing after its last element) lines up.
        recent: [...this.recent.slice(this.next), ...this.recent.slice(0, this.next)],
        reference: [...this.reference],
      },
    };
  }
}
