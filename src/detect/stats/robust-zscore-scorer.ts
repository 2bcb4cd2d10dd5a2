import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { RobustBaseline, robustBaselineStateSchema } from './robust-baseline.js';
import { surpriseToScore } from './surprise-score.js';

/** Which side of the baseline counts as anomalous. */
export const directionSchema = z.enum(['up', 'down', 'both']);

/** Which side of the baseline counts as anomalous. */
export type Direction = z.infer<typeof directionSchema>;

/** Parameters of the `robust-zscore` algorithm. */
export const robustZscoreSchema = z
  .object({
    type: z.literal('robust-zscore'),
    /** Observations absorbed before scoring starts; scores are 0 until then. */
    warmup: z.number().int().min(1).default(30),
    /** Half-life of the baseline, in observations. */
    halfLife: z.number().positive().default(500),
    /** Residuals beyond this many spreads are clipped before they update the baseline. */
    clip: z.number().positive().default(3),
    /** |z| at which the score reaches 0.5 (the algorithm's own alarm boundary). */
    zAlarm: z.number().positive().default(4),
    direction: directionSchema.default('both'),
    /** Absolute floor of the spread, in the unit of the series (1e-3 suits ratios in [0, 1]). */
    minSpread: z.number().positive().default(1e-3),
    /** Floor of the spread as a fraction of the baseline's magnitude. */
    minRelativeSpread: z.number().min(0).default(0.01),
  })
  .strict();

/** Parameters of the `robust-zscore` algorithm, defaults applied. */
export type RobustZscoreConfig = z.infer<typeof robustZscoreSchema>;

const ALGORITHM = 'robust-zscore';
const VERSION = 1;
const stateSchema = z.object({ baseline: robustBaselineStateSchema }).strict();

/** Folds a signed z-score into a non-negative surprise according to `direction`. */
export function directedSurprise(z: number, direction: Direction): number {
  switch (direction) {
    case 'up':
      return Math.max(z, 0);
    case 'down':
      return Math.max(-z, 0);
    case 'both':
      return Math.abs(z);
  }
}

/**
 * Robust z-score against a streaming Huber/mean-absolute-deviation baseline: how many spreads an
 * observation lies from where the series usually is. Spikes barely move the baseline; sustained
 * shifts are absorbed within a few half-lives.
 */
export class RobustZscoreScorer implements StreamScorer {
  private readonly baseline: RobustBaseline;

  constructor(
    private readonly config: RobustZscoreConfig,
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    this.baseline = new RobustBaseline(config, state?.baseline);
  }

  update(value: number): ScoreResult {
    const ready = this.baseline.samples >= this.config.warmup;
    const expected = this.baseline.expected;
    const spread = this.baseline.spread;
    // A non-finite observation carries no information and must not poison the baseline.
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready };
    const surprise = directedSurprise(this.baseline.zScore(value), this.config.direction);
    this.baseline.absorb(value);
    return { score: ready ? surpriseToScore(surprise, this.config.zAlarm) : 0, expected, spread, ready };
  }

  snapshot(): ScorerSnapshot {
    return { algorithm: ALGORITHM, version: VERSION, state: { baseline: this.baseline.state() } };
  }
}
