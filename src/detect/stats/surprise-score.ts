/**
 * The one mapping from a non-negative surprise (a deviation measured in baseline spreads, or an
 * alarm statistic measured in units of its decision threshold) to an anomaly score in [0, 1).
 *
 * Every algorithm goes through it so that scores mean the same thing across detectors: a score of
 * 0.5 sits exactly at the algorithm's own decision boundary (`surprise === boundary`), 0.8 at twice
 * the boundary, 0.9 at three times, 0.99 at ten times. The curve is `u / (1 + u)` with
 * `u = (surprise / boundary)^2`, a log-logistic CDF: it stays strictly increasing up to surprises
 * of about 1e8 boundaries, far beyond anything a real series produces, so thresholds swept over
 * distinct scores (as NAB does) can always separate two observations.
 */
export function surpriseToScore(surprise: number, boundary: number): number {
  // NaN and non-positive surprises are "no evidence", not an error: a scorer must never throw
  // on a single odd observation in a stream.
  if (!(surprise > 0) || !(boundary > 0)) return 0;
  const ratio = surprise / boundary;
  const u = ratio * ratio;
  if (!Number.isFinite(u)) return MAX_SCORE;
  return Math.min(u / (1 + u), MAX_SCORE);
}

/** The largest double below 1: the ceiling every score respects. */
export const MAX_SCORE = 1 - Number.EPSILON / 2;

/**
 * The inverse of {@link surpriseToScore}: the surprise (in boundaries) that a score stands for.
 * Ensembles use it to combine members on a common scale.
 */
export function scoreToSurprise(score: number, boundary: number): number {
  if (!(score > 0)) return 0;
  const clamped = Math.min(score, MAX_SCORE);
  return boundary * Math.sqrt(clamped / (1 - clamped));
}
