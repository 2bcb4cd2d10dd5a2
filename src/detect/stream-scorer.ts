/**
 * The contract every statistical detector algorithm implements: a streaming, O(1)-per-sample scorer
 * of one numeric series. The engine keeps one scorer per (detector, entity, feature); the NAB
 * benchmark keeps one per data file.
 */
export interface StreamScorer {
  /**
   * Feeds one observation (in time order) and scores it against the baseline learned from the
   * observations before it: no look-ahead. The observation is then absorbed into the baseline.
   * `weight` is how many observations stand behind the value (the requests of a window whose
   * value is their p50 or error share); algorithms that accumulate evidence across windows
   * (`log-ratio-cusum`, `binomial-cusum`) weigh each window by it, the others ignore it.
   */
  update(value: number, timestampMs: number, weight?: number): ScoreResult;
  /** Serialisable state, so a restart or a rebalance resumes with its baseline. */
  snapshot(): ScorerSnapshot;
}

/** The verdict on one observation. */
export interface ScoreResult {
  /**
   * Anomaly score in [0, 1), full double precision, monotone in surprise and never saturating
   * at exactly 1, so that a threshold can always be placed between two scores.
   */
  readonly score: number;
  /** What the baseline expected at this point (for evidence). */
  readonly expected: number;
  /** The baseline's scale (MAD, standard deviation...) used to judge the deviation. */
  readonly spread: number;
  /** False while the scorer is still warming up; scores are then 0. */
  readonly ready: boolean;
}

/** Opaque, JSON-serialisable scorer state tagged with the algorithm that wrote it. */
export interface ScorerSnapshot {
  readonly algorithm: string;
  readonly version: number;
  readonly state: unknown;
}

/**
 * A scorer that can also judge a value against a reference measured beside it in the same window
 * (a canary model version against the stable one), rather than against the baseline it learnt from
 * the series' own past. Evidence still accumulates across windows in its state; nothing is learnt
 * from a compared value, so a series judged this way from its first window needs no warm-up and
 * cannot teach itself that its difference is normal.
 */
export interface ReferenceScorer extends StreamScorer {
  /**
   * @param value the series' value in the window.
   * @param reference the reference's value in the same window.
   * @param weight the observations behind the comparison (see each algorithm).
   */
  compare(value: number, reference: number, timestampMs: number, weight: number): ScoreResult;
}
