import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of the `threshold` algorithm. */
export const thresholdSchema = z
  .object({
    type: z.literal('threshold'),
    /**
     * `above`: larger is worse (PSI, KS statistic, Wasserstein distance, share of drifted
     * features); `below`: smaller is worse (p-values).
     */
    direction: z.enum(['above', 'below']).default('above'),
    /** Level at which the score reaches 0.5 (e.g. PSI 0.1, p-value 0.05). */
    warn: z.number().positive(),
    /** Level at which the score reaches 0.9 (e.g. PSI 0.25, p-value 0.01). */
    critical: z.number().positive(),
  })
  .strict()
  .refine((c) => (c.direction === 'above' ? c.critical > c.warn : c.critical < c.warn), {
    message: 'critical must be beyond warn: larger than warn when direction is above, smaller when below',
    path: ['critical'],
  });

/** Parameters of the `threshold` algorithm, defaults applied. */
export type ThresholdConfig = z.infer<typeof thresholdSchema>;

const ALGORITHM = 'threshold';
const VERSION = 1;
const stateSchema = z.object({}).strict();

// surpriseToScore gives 0.5 at 1 boundary and 0.9 at 3 boundaries.
const CRITICAL_SURPRISE = 3;

/**
 * Static thresholds for statistics that already mean something on their own (drift PSI,
 * KS p-values). The score is graded on a log scale through two anchors, 0.5 at `warn` and 0.9 at
 * `critical`, and keeps rising beyond (PSI 0.5 scores higher than PSI 0.3) without reaching 1:
 * `surprise = (value / warn)^g` with `g` chosen so `critical` lands on 0.9 (inverted for `below`).
 */
export class ThresholdScorer implements StreamScorer {
  private readonly exponent: number;

  constructor(
    private readonly config: ThresholdConfig,
    snapshot?: ScorerSnapshot,
  ) {
    if (snapshot) readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema);
    this.exponent = Math.log(CRITICAL_SURPRISE) / Math.abs(Math.log(config.critical / config.warn));
  }

  update(value: number): ScoreResult {
    const { warn, critical, direction } = this.config;
    const expected = warn;
    const spread = Math.abs(critical - warn);
    if (!Number.isFinite(value)) return { score: 0, expected, spread, ready: true };
    let ratio: number;
    if (direction === 'above') ratio = value > 0 ? value / warn : 0;
    else ratio = value > 0 ? warn / value : Number.POSITIVE_INFINITY;
    return { score: surpriseToScore(Math.pow(ratio, this.exponent), 1), expected, spread, ready: true };
  }

  snapshot(): ScorerSnapshot {
    return { algorithm: ALGORITHM, version: VERSION, state: {} };
  }
}
