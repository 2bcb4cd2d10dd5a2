import { z } from 'zod';
import type { ReferenceScorer, ScoreResult, ScorerSnapshot } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { halfLifeToAlpha } from './robust-baseline.js';
import { directionSchema } from './robust-zscore-scorer.js';
import { alarmReached, surpriseToScore } from './surprise-score.js';

/** Parameters of the `log-ratio-cusum` algorithm. */
export const logRatioCusumSchema = z
  .object({
    type: z.literal('log-ratio-cusum'),
    /** The change to detect: the value this many times its baseline (or 1/ratio of it, downwards). */
    ratio: z.number().gt(1).default(2),
    /** Decision interval, in nats of accumulated log-likelihood ratio (score 0.5 there). */
    h: z.number().positive().default(10),
    /**
     * The fewest observations that may raise an alarm: one observation adds at most `h / minCount`
     * to the sum, so one slow request, however slow, is never a regression on its own.
     */
    minCount: z.number().int().min(1).default(3),
    direction: directionSchema.default('up'),
    /** Windows with observations absorbed before scoring starts. */
    warmup: z.number().int().min(1).default(30),
    /** Half-life of the baseline, in windows with observations. */
    halfLife: z.number().positive().default(500),
    /** Floor of one observation's spread of log(value): 0.05 is a 5% wobble. */
    minSpread: z.number().positive().default(0.05),
    /** Added to every value before its logarithm, in the unit of the series (a 0 ms request has a log). */
    offset: z.number().min(0).default(1),
  })
  .strict();

/** Parameters of the `log-ratio-cusum` algorithm, defaults applied. */
export type LogRatioCusumConfig = z.infer<typeof logRatioCusumSchema>;

const ALGORITHM = 'log-ratio-cusum';
const VERSION = 1;
/** Residuals beyond this many (per-window) spreads are clipped before they move the baseline. */
const CLIP = 3;
const ABS_DEV_TO_SIGMA = Math.sqrt(Math.PI / 2);
const stateSchema = z
  .object({
    count: z.number().int().min(0),
    location: z.number(),
    deviation: z.number().min(0),
    upper: z.number().min(0),
    lower: z.number().min(0),
  })
  .strict();

/**
 * Page's CUSUM on log(value / baseline), weighted by the observations behind each window: the
 * log-likelihood ratio of "the level is `ratio` times the baseline" against "it is the baseline",
 * for a window whose value is a central statistic (a median, a mean) of `n` observations each
 * spread `sigma` around the baseline in log units:
 *
 *   LLR = n * (d * (y - mu) - d^2 / 2) / sigma^2,   d = ln(ratio),  y = ln(value + offset)
 *
 * A window of twenty requests weighs twenty times one of a single request, so a regression at one
 * request a minute accumulates over minutes what a busy service shows in one window, and a change
 * smaller than sqrt(ratio) times the baseline drifts the sum down instead. `sigma` is learnt per
 * observation (a window's deviation times sqrt(n)), so windows of one and of a hundred requests
 * feed one baseline. Each observation adds at most `h / minCount`: a single outlier cannot alarm.
 * The sum restarts from zero after an alarm. O(1) time and memory per window.
 */
export class LogRatioCusumScorer implements ReferenceScorer {
  private readonly alpha: number;
  private count: number;
  private location: number;
  private deviation: number;
  private upper: number;
  private lower: number;

  constructor(
    private readonly config: LogRatioCusumConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.alpha = halfLifeToAlpha(config.halfLife);
    this.count = state?.count ?? 0;
    this.location = state?.location ?? 0;
    this.deviation = state?.deviation ?? 0;
    this.upper = state?.upper ?? 0;
    this.lower = state?.lower ?? 0;
  }

  /** @param weight the observations behind `value` (requests in the window); 1 when absent. */
  update(value: number, _timestampMs: number, weight = 1): ScoreResult {
    const ready = this.count >= this.config.warmup;
    const expected = Math.exp(this.location) - this.config.offset;
    const spread = this.sigma();
    const y = Math.log(value + this.config.offset);
    // No observation behind the value, or no logarithm of it: no evidence either way.
    if (!Number.isFinite(y) || !(weight > 0) || !Number.isFinite(weight)) return { score: 0, expected, spread, ready };
    const residual = y - this.location;
    this.absorb(residual, weight);
    if (!ready) return { score: 0, expected, spread, ready };
    return { score: this.accumulate(residual, weight, spread), expected, spread, ready };
  }

  /**
   * Judges `value` against `reference`, the same statistic of another series in the same window
   * (a canary model version's p95 against the stable version's): the residual is
   * `ln((value + offset) / (reference + offset))` and the CUSUM above accumulates it with
   * `sigma = minSpread`, fixed. A spread learnt from the compared residuals would let a version
   * that is slow from its first window teach itself that its difference is noise. Nothing is
   * absorbed into the baseline, and there is no warm-up: the reference is measured, not learnt.
   *
   * @param weight the observations behind the difference; for two windows of `n` and `m`
   *   observations, `n * m / (n + m)` (the variance of a difference of two means).
   */
  compare(value: number, reference: number, _timestampMs: number, weight: number): ScoreResult {
    const spread = this.config.minSpread;
    const residual = Math.log(value + this.config.offset) - Math.log(reference + this.config.offset);
    if (!Number.isFinite(residual) || !(weight > 0) || !Number.isFinite(weight)) return { score: 0, expected: reference, spread, ready: true };
    return { score: this.accumulate(residual, weight, spread), expected: reference, spread, ready: true };
  }

  /** Adds one window's log-likelihood ratio to the sums; returns the score (restarting after an alarm). */
  private accumulate(residual: number, weight: number, spread: number): number {
    const { direction, h } = this.config;
    if (direction !== 'down') this.upper = Math.max(0, this.upper + this.logLikelihoodRatio(residual, weight, spread));
    if (direction !== 'up') this.lower = Math.max(0, this.lower + this.logLikelihoodRatio(-residual, weight, spread));
    let statistic = Math.max(this.upper, this.lower);
    if (alarmReached(statistic, h)) {
      statistic = Math.max(statistic, h);
      this.upper = 0;
      this.lower = 0;
    }
    return surpriseToScore(statistic, h);
  }

  /**
   * One window's log-likelihood ratio of a shift by `ln(ratio)` against none, for a residual signed
   * towards the shift, capped at `weight * h / minCount`.
   */
  private logLikelihoodRatio(signed: number, weight: number, spread: number): number {
    const d = Math.log(this.config.ratio);
    return Math.min((weight * (d * signed - (d * d) / 2)) / (spread * spread), (weight * this.config.h) / this.config.minCount);
  }

  /** One observation's spread of log(value), never below `minSpread`. */
  private sigma(): number {
    return Math.max(this.deviation * ABS_DEV_TO_SIGMA, this.config.minSpread);
  }

  /**
   * Learns the baseline from a window of `weight` observations: a Huber location (the residual
   * clipped at CLIP spreads of a mean of `weight`) and the mean absolute per-observation deviation
   * (the residual times sqrt(weight), clipped at CLIP spreads). The first windows take the exact
   * running mean, as RobustBaseline does.
   */
  private absorb(residual: number, weight: number): void {
    if (this.count === 0) {
      this.count = 1;
      this.location += residual;
      return;
    }
    const rate = Math.max(this.alpha, 1 / (this.count + 1));
    const root = Math.sqrt(weight);
    const limit = CLIP * this.sigma();
    const perObservation = Math.min(Math.abs(residual) * root, limit);
    const clipped = Math.max(-limit / root, Math.min(limit / root, residual));
    const deviation = this.deviation + rate * (perObservation - this.deviation);
    const location = this.location + rate * clipped;
    if (!Number.isFinite(deviation) || !Number.isFinite(location)) return;
    this.count += 1;
    this.deviation = deviation;
    this.location = location;
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: { count: this.count, location: this.location, deviation: this.deviation, upper: this.upper, lower: this.lower },
    };
  }
}
