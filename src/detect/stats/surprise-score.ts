/**
 * The one mapping from a non-negative surprise (a deviation measured in baseline spreads, or an
 * alarm statistic measured in units of its decision threshold) to an anomaly score in [0, 1).
 *
 * Every algorithm goes through it so that scores mean the same thing across detectors: a score of
 * 0.5 sits exactly at the algorithm's own decision boundary (`surprise === boundary`), 0.8 at twice
 * the boundary, 0.9 at three times, 0.99 at about ten times. The curve is `u / (1 + u)` with
 * `u = r^2`, `r = surprise / boundary` (a log-logistic CDF). Beyond `r = 100` (score 0.9999) `u`
 * grows only logarithmically (`u = 100^2 * (1 + 2 ln(r / 100))`, continuing the curve smoothly),
 * so even a surprise of 1e300 stays clearly below 1 and two different surprises keep two different
 * scores: thresholds swept over distinct scores (as NAB does) can always separate them.
 */
export function surpriseToScore(surprise: number, boundary: number): number {
  // NaN and non-positive surprises are "no evidence", not an error: a scorer must never throw
  // on a single odd observation in a stream.
  if (!(surprise > 0) || !(boundary > 0)) return 0;
  const u = oddsOf(surprise / boundary);
  if (!Number.isFinite(u)) return MAX_SCORE;
  return Math.min(u / (1 + u), MAX_SCORE);
}

/** The largest double below 1: the ceiling every score respects. */
export const MAX_SCORE = 1 - Number.EPSILON / 2;

const KNEE = 100;
const KNEE_ODDS = KNEE * KNEE;

function oddsOf(ratio: number): number {
  if (ratio <= KNEE) return ratio * ratio;
  return KNEE_ODDS * (1 + 2 * Math.log(ratio / KNEE));
}

/**
 * The inverse of {@link surpriseToScore}: the surprise (in boundaries) that a score stands for.
 * Ensembles use it to combine members on a common scale.
 */
export function scoreToSurprise(score: number, boundary: number): number {
  if (!(score > 0)) return 0;
  const clamped = Math.min(score, MAX_SCORE);
  const u = clamped / (1 - clamped);
  const ratio = u <= KNEE_ODDS ? Math.sqrt(u) : KNEE * Math.exp((u / KNEE_ODDS - 1) / 2);
  // The ceiling score stands for an infinite surprise; the largest finite one keeps arithmetic on
  // surprises (and JSON snapshots holding them) finite.
  return Math.min(boundary * ratio, Number.MAX_VALUE);
}

/**
 * Whether an accumulated statistic has reached its decision interval `h`. A sum built from equal
 * steps of `h / n` must reach `h` after `n` of them, which floating point does not promise
 * (`3 * (10 / 3)` may land a hair below 10): the comparison allows for that rounding.
 */
export function alarmReached(statistic: number, h: number): boolean {
  return statistic >= h * (1 - 1e-9);
}
