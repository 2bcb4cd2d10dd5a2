import { z } from 'zod';
import type { ReferenceScorer, ScoreResult, ScorerSnapshot } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { halfLifeToAlpha } from './robust-baseline.js';
import { alarmReached, surpriseToScore } from './surprise-score.js';

/** Parameters of the `binomial-cusum` algorithm. */
export const binomialCusumSchema = z
  .object({
    type: z.literal('binomial-cusum'),
    /**
     * The change to detect: this share of the observations that usually succeed now fail, so the
     * share moves from its baseline `p0` to `p0 + (1 - p0) * share` (0.5: half of them).
     */
    share: z.number().gt(0).lt(1).default(0.5),
    /** Decision interval, in nats of accumulated log-likelihood ratio (score 0.5 there). */
    h: z.number().positive().default(10),
    /**
     * The fewest events (failures) that may raise an alarm: one adds at most `h / minEvents` to
     * the sum, so two errors in a quiet hour are never an outage however clean the baseline.
     */
    minEvents: z.number().int().min(1).default(3),
    /** Floor of the baseline share: a workload that never failed is judged as if 1% might. */
    minShare: z.number().gt(0).lt(1).default(0.01),
    /** Windows with observations absorbed before scoring starts. */
    warmup: z.number().int().min(1).default(30),
    /** Half-life of the baseline, in windows with observations. */
    halfLife: z.number().positive().default(500),
  })
  .strict();

/** Parameters of the `binomial-cusum` algorithm, defaults applied. */
export type BinomialCusumConfig = z.infer<typeof binomialCusumSchema>;

const ALGORITHM = 'binomial-cusum';
const VERSION = 1;
const stateSchema = z
  .object({
    windows: z.number().int().min(0),
    events: z.number().min(0),
    trials: z.number().min(0),
    sum: z.number().min(0),
  })
  .strict();

/**
 * A Bernoulli CUSUM on a share (errors among requests), weighted by the observations behind each
 * window: each window adds the log-likelihood ratio of its `e` failures among `n` observations
 * under "the share is p1" against "it is the baseline p0",
 *
 *   LLR = e * ln(p1 / p0) + (n - e) * ln((1 - p1) / (1 - p0)),
 *
 * to a sum that never falls below zero; the sum reaching `h` is a change, after which it restarts.
 * One failure in a thousand requests drifts it down, three failures out of four requests in a
 * quiet evening add up, and a busy service failing half its requests crosses in one window. The
 * baseline `p0` is the exponentially weighted share of all observations (not of windows), never
 * below `minShare`. O(1) time and memory per window.
 */
export class BinomialCusumScorer implements ReferenceScorer {
  private readonly decay: number;
  private windows: number;
  private events: number;
  private trials: number;
  private sum: number;

  constructor(
    private readonly config: BinomialCusumConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.decay = 1 - halfLifeToAlpha(config.halfLife);
    this.windows = state?.windows ?? 0;
    this.events = state?.events ?? 0;
    this.trials = state?.trials ?? 0;
    this.sum = state?.sum ?? 0;
  }

  /**
   * @param value the share of failures in the window, in [0, 1] (others are no evidence).
   * @param weight the observations behind it (requests in the window); 1 when absent.
   */
  update(value: number, _timestampMs: number, weight = 1): ScoreResult {
    const ready = this.windows >= this.config.warmup;
    const p0 = this.baseline();
    const spread = Math.sqrt((p0 * (1 - p0)) / Math.max(weight, 1));
    if (!(value >= 0 && value <= 1) || !(weight > 0) || !Number.isFinite(weight)) return { score: 0, expected: p0, spread, ready };
    const failures = value * weight;
    this.absorb(failures, weight);
    if (!ready) return { score: 0, expected: p0, spread, ready };
    return { score: this.accumulate(failures, weight, p0), expected: p0, spread, ready };
  }

  /**
   * Judges a share of failures against `reference`, the share of another series in the same
   * window (a canary model version's failures against the stable version's): the CUSUM above with
   * `p0` the reference, never below `minShare`, instead of the learnt baseline. Nothing is absorbed
   * and there is no warm-up: the reference is measured, not learnt.
   *
   * @param weight the observations behind `value` (the compared series' own inferences).
   */
  compare(value: number, reference: number, _timestampMs: number, weight: number): ScoreResult {
    const p0 = Math.min(Math.max(Number.isFinite(reference) ? reference : 0, this.config.minShare), 1 - 1e-9);
    const spread = Math.sqrt((p0 * (1 - p0)) / Math.max(weight, 1));
    if (!(value >= 0 && value <= 1) || !(weight > 0) || !Number.isFinite(weight)) return { score: 0, expected: p0, spread, ready: true };
    return { score: this.accumulate(value * weight, weight, p0), expected: p0, spread, ready: true };
  }

  /** Adds one window's log-likelihood ratio to the sum; returns the score (restarting after an alarm). */
  private accumulate(failures: number, weight: number, p0: number): number {
    const { h, minEvents, share } = this.config;
    const p1 = p0 + (1 - p0) * share;
    const perFailure = Math.min(Math.log(p1 / p0), h / minEvents);
    const llr = failures * perFailure + (weight - failures) * Math.log((1 - p1) / (1 - p0));
    this.sum = Math.max(0, this.sum + llr);
    let statistic = this.sum;
    if (alarmReached(statistic, h)) {
      statistic = Math.max(statistic, h);
      this.sum = 0;
    }
    return surpriseToScore(statistic, h);
  }

  /** The baseline share, never below `minShare` (the floor before anything was seen). */
  private baseline(): number {
    const learnt = this.trials > 0 ? this.events / this.trials : 0;
    return Math.min(Math.max(learnt, this.config.minShare), 1 - 1e-9);
  }

  private absorb(failures: number, trials: number): void {
    const events = this.decay * this.events + failures;
    const total = this.decay * this.trials + trials;
    // A weight beyond what a double can sum is not learnt (the window is still judged).
    if (!Number.isFinite(events) || !Number.isFinite(total)) return;
    this.windows += 1;
    this.events = events;
    this.trials = total;
  }

  snapshot(): ScorerSnapshot {
    return { algorithm: ALGORITHM, version: VERSION, state: { windows: this.windows, events: this.events, trials: this.trials, sum: this.sum } };
  }
}
