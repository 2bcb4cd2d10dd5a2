import { z } from 'zod';
import { halfLifeToAlpha } from './robust-baseline.js';
import { surpriseToScore } from './surprise-score.js';

/** Parameters of a {@link ScoreCalibrator}. */
export const calibrationSchema = z
  .object({
    /** Half-life of the remembered score distribution, in observations. */
    halfLife: z.number().positive().default(2000),
    /** Scores a calibrator must have seen before its output counts (0 until then). */
    warmup: z.number().int().min(1).default(100),
    /**
     * Half-life of the short-term average that is compared with the long-run distribution, in
     * observations; 0 compares each score on its own. Averaging favours sustained anomalies over
     * isolated blips.
     */
    shortHalfLife: z.number().min(0).default(0),
    /** Floor of the remembered scores' standard deviation, so a flat history is not infinitely sharp. */
    minSpread: z.number().positive().default(0.02),
    /** Standard deviations above the usual score at which the calibrated score reaches 0.5. */
    zAlarm: z.number().positive().default(4),
  })
  .strict();

/** Parameters of a {@link ScoreCalibrator}, defaults applied. */
export type CalibrationConfig = z.infer<typeof calibrationSchema>;

/** Serialisable state of a {@link ScoreCalibrator}. */
export const calibratorStateSchema = z
  .object({
    count: z.number().int().min(0),
    mean: z.number(),
    variance: z.number().min(0),
    short: z.number(),
  })
  .strict();

/** Serialisable state of a {@link ScoreCalibrator}. */
export type CalibratorState = z.infer<typeof calibratorStateSchema>;

/**
 * Re-expresses a scorer's output as how unusual it is for that scorer on this series: the
 * (optionally short-term averaged) score is compared with the long-run mean and standard deviation
 * of the scores the same scorer gave before, in the spirit of Numenta's anomaly likelihood. A
 * series whose raw scores are routinely high (bursty, heavy-tailed) needs a much rarer event to
 * alarm than a quiet one, which is what makes one threshold work across very different series.
 */
export class ScoreCalibrator {
  private readonly alpha: number;
  private readonly shortAlpha: number;
  private state: CalibratorState;

  constructor(
    private readonly config: CalibrationConfig,
    state?: CalibratorState,
  ) {
    this.alpha = halfLifeToAlpha(config.halfLife);
    this.shortAlpha = config.shortHalfLife > 0 ? halfLifeToAlpha(config.shortHalfLife) : 1;
    this.state = state ?? { count: 0, mean: 0, variance: 0, short: 0 };
  }

  /** True once the calibrator has seen its warm-up and its output counts. */
  get seasoned(): boolean {
    return this.state.count >= this.config.warmup;
  }

  /** Calibrates one raw score (in [0, 1)) and learns from it. */
  calibrate(score: number): number {
    const s = this.state;
    const short = s.count === 0 ? score : s.short + this.shortAlpha * (score - s.short);
    const spread = Math.max(Math.sqrt(s.variance), this.config.minSpread);
    const z = (short - s.mean) / spread;
    const seasoned = s.count >= this.config.warmup;

    const count = s.count + 1;
    const weight = Math.max(this.alpha, 1 / count);
    const diff = score - s.mean;
    const mean = s.mean + weight * diff;
    const variance = count === 1 ? 0 : (1 - weight) * (s.variance + diff * weight * diff);
    this.state = { count, mean, variance, short };
    return seasoned ? surpriseToScore(z, this.config.zAlarm) : 0;
  }

  /** Serialisable state. */
  snapshot(): CalibratorState {
    return { ...this.state };
  }
}
