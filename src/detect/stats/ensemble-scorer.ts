import { z } from 'zod';
import type { ScoreResult, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { readSnapshotState } from './read-snapshot-state.js';
import { RecurrenceHoldoff, recurrenceSchema, recurrenceStateSchema } from './recurrence-holdoff.js';
import { halfLifeToAlpha } from './robust-baseline.js';
import { ScoreCalibrator, calibrationSchema, calibratorStateSchema } from './score-calibrator.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { scoreToSurprise, surpriseToScore } from './surprise-score.js';

/** Suppression of repeated alarms after a peak. */
export const holdoffSchema = z
  .object({
    /** Half-life, in observations, of the remembered peak surprise. */
    halfLife: z.number().positive().default(50),
    /** Factor applied to the surprise of observations that do not exceed the remembered peak. */
    damping: z.number().min(0).max(1).default(0.5),
  })
  .strict();

/**
 * The ensemble's own parameters (its members are declared by the registry, which knows every
 * algorithm).
 */
export const ensembleOptionsShape = {
  type: z.literal('ensemble'),
  /**
   * `max`: the most surprised member decides (the evidence is that member's). `noisy-or`:
   * `1 - prod(1 - score_i)`, so several members agreeing moderately add up to a strong signal.
   */
  combine: z.enum(['max', 'noisy-or']).default('max'),
  /** When set, each member's score is judged against that member's own score history first. */
  calibration: calibrationSchema.optional(),
  /** When set, alarms that follow a stronger one within its half-life are damped. */
  holdoff: holdoffSchema.optional(),
  /** When set, alarms that recur at the same time of day as earlier ones are damped. */
  recurrence: recurrenceSchema.optional(),
};

/** The ensemble's own parameters, without its members. */
export const ensembleOptionsSchema = z.object(ensembleOptionsShape).strict();

/** The ensemble's own parameters, defaults applied. */
export type EnsembleOptions = z.infer<typeof ensembleOptionsSchema>;

const ALGORITHM = 'ensemble';
const VERSION = 1;
const stateSchema = z
  .object({
    members: z.array(z.object({ algorithm: z.string(), version: z.number(), state: z.unknown() }).strict()),
    calibrators: z.array(calibratorStateSchema),
    peak: z.number().min(0),
    recurrence: recurrenceStateSchema.optional(),
  })
  .strict();

/**
 * Combines several scorers of the same series into one score.
 *
 * Rule, per observation: every member scores it; with `calibration`, each member's score is
 * re-expressed as how unusual it is for that member on this series (see `ScoreCalibrator`), which
 * makes members comparable and a single threshold meaningful across series of very different
 * texture; the members' scores are then combined with `max` or `noisy-or`; with `holdoff`, an
 * observation that does not exceed the (decaying) peak of the recent alarms has its surprise
 * damped, so one incident reads as one alarm, not a burst.
 */
export class EnsembleScorer implements StreamScorer {
  private readonly calibrators: ScoreCalibrator[] | undefined;
  private readonly peakDecay: number;
  private peak: number;
  private readonly recurrence: RecurrenceHoldoff | undefined;

  constructor(
    private readonly options: EnsembleOptions,
    private readonly members: readonly StreamScorer[],
    snapshot?: ScorerSnapshot,
  ) {
    const state = snapshot ? readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema) : undefined;
    if (state !== undefined && options.calibration !== undefined && state.calibrators.length !== members.length) {
      throw new ScorerSnapshotError(
        `"ensemble" snapshot has ${state.calibrators.length} members, this configuration has ${members.length}`,
      );
    }
    const calibration = options.calibration;
    this.calibrators =
      calibration === undefined
        ? undefined
        : members.map((_, i) => new ScoreCalibrator(calibration, state?.calibrators[i]));
    this.peakDecay = 1 - halfLifeToAlpha(options.holdoff?.halfLife ?? 1);
    this.peak = state?.peak ?? 0;
    const recurrence = options.recurrence;
    const recurrenceState = state?.recurrence;
    if (recurrence !== undefined && recurrenceState !== undefined && !RecurrenceHoldoff.fits(recurrence, recurrenceState)) {
      throw new ScorerSnapshotError(`"ensemble" snapshot's recurrence state does not fit ${recurrence.buckets} stretches a day`);
    }
    this.recurrence = recurrence === undefined ? undefined : new RecurrenceHoldoff(recurrence, recurrenceState);
  }

  update(value: number, timestampMs: number, weight?: number): ScoreResult {
    let combined = 0;
    let complement = 1;
    let ready = false;
    let evidence: ScoreResult | undefined;
    let evidenceScore = -1;
    for (const [i, member] of this.members.entries()) {
      const result = member.update(value, timestampMs, weight);
      const calibrator = this.calibrators?.[i];
      // A member counts once it is ready and, when calibrated, once its calibrator has seen enough
      // of its scores; scores of a member still warming up are placeholders, not evidence to learn
      // from.
      ready ||= result.ready && (calibrator?.seasoned ?? true);
      const score = calibrator === undefined ? result.score : result.ready ? calibrator.calibrate(result.score) : 0;
      if (score > evidenceScore) {
        evidenceScore = score;
        evidence = result;
      }
      combined = Math.max(combined, score);
      complement *= 1 - score;
    }
    let score = this.options.combine === 'max' ? combined : 1 - complement;
    if (this.recurrence !== undefined) score = surpriseToScore(this.recurrence.apply(scoreToSurprise(score, 1), timestampMs), 1);
    score = this.holdoff(score);
    return {
      score: ready ? score : 0,
      expected: evidence?.expected ?? value,
      spread: evidence?.spread ?? 0,
      ready,
    };
  }

  private holdoff(score: number): number {
    const holdoff = this.options.holdoff;
    if (holdoff === undefined) return score;
    const surprise = scoreToSurprise(score, 1);
    const remembered = this.peak * this.peakDecay;
    this.peak = Math.max(remembered, surprise);
    return surprise > remembered ? score : surpriseToScore(surprise * holdoff.damping, 1);
  }

  snapshot(): ScorerSnapshot {
    return {
      algorithm: ALGORITHM,
      version: VERSION,
      state: {
        members: this.members.map((m) => m.snapshot()),
        calibrators: this.calibrators?.map((c) => c.snapshot()) ?? [],
        peak: this.peak,
        ...(this.recurrence === undefined ? {} : { recurrence: this.recurrence.snapshot() }),
      },
    };
  }

  /** Member snapshots stored in an ensemble snapshot, for the registry to restore members from. */
  static memberSnapshots(snapshot: ScorerSnapshot): ScorerSnapshot[] {
    return readSnapshotState(snapshot, ALGORITHM, VERSION, stateSchema).members;
  }
}
