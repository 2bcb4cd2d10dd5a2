import type { Anomaly } from '../detect/anomaly.js';
import type { Entity } from '../features/entity.js';
import type { FeatureWindow } from '../features/feature-window.js';
import type { StoredDeadLetter } from '../parse/records.js';

/** How many entities a detector scored in one window group, and the ones it flagged. */
export interface DetectorTally {
  readonly detector: string;
  readonly scored: number;
  readonly flagged: readonly Entity[];
}

/**
 * The windows of one start that event time closed, as detection hands them to the response:
 * scored by the detectors the detection stage runs, with what each detector scored (the breaker's
 * input). `deferred` holds the windows of the same start that detectors run elsewhere (the
 * autoencoders, on the thread that trains them) still have to score.
 */
export interface ClosedGroup {
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Windows in the group (counted as the pipeline's `windows`). */
  readonly windows: number;
  readonly anomalies: readonly Anomaly[];
  readonly tally: readonly DetectorTally[];
  readonly deferred: readonly FeatureWindow[];
}

/** Where the detection stage puts what it produced: the response stage, or a batch result. */
export interface DetectionListener {
  deadLetter(letter: StoredDeadLetter): void;
  group(group: ClosedGroup): void;
}
