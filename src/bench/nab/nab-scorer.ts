/**
 * A TypeScript port of the Numenta Anomaly Benchmark's scoring (NAB v1.1: `nab/sweeper.py`,
 * `nab/optimizer.py`, `nab/runner.py#normalize`), so the project can compute NAB's number itself.
 *
 * The rules, as NAB implements them:
 * - the first `min(floor(0.15 * rows), 0.15 * 5000)` rows of a file are probationary and ignored;
 * - a row is a detection when its anomaly score is >= the threshold;
 * - inside a window `[L, R]` of width `W = R - L + 1`, a detection at row `i` is worth
 *   `scaledSigmoid(-(R - i + 1) / W) * tpWeight / scaledSigmoid(-1)`; only the best (earliest)
 *   detection of a window counts; an undetected window costs `-fnWeight`;
 * - a detection outside every window is worth `scaledSigmoid(|i - R'| / (W' - 1)) * fpWeight`
 *   where `R'`, `W'` belong to the last window before it, or `-fpWeight` with no earlier window;
 * - one threshold per profile for the whole corpus: every distinct score is tried (in descending
 *   order, starting above 1 with "nothing detected"), and the first threshold reaching the highest
 *   raw score wins;
 * - normalised score = `100 * (raw - null) / (perfect - null)` with `perfect = tpWeight * windows`
 *   and `null = -fnWeight * windows`.
 */

import { MeshwardenError } from '../../shared/errors.js';

/** Weights of one NAB application profile. */
export interface NabCostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

/** NAB's three application profiles, keyed by NAB's own names. */
export const NAB_PROFILES = {
  standard: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 },
  reward_low_FP_rate: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 },
  reward_low_FN_rate: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 },
} as const satisfies Record<string, NabCostMatrix>;

/** Name of one of NAB's profiles. */
export type NabProfileName = keyof typeof NAB_PROFILES;

/** NAB's probationary fraction of every file. */
export const NAB_PROBATION_PERCENT = 0.15;

/** One scored data file: row timestamps (epoch ms), the detector's scores, the labelled windows. */
export interface NabScoredFile {
  /** Unique name (NAB uses the relative path), used to tell windows of different files apart. */
  readonly name: string;
  readonly timestamps: readonly number[];
  readonly scores: readonly number[];
  /** Windows as `[start, end]` timestamps (epoch ms), each equal to a row's timestamp, in order. */
  readonly windows: readonly (readonly [number, number])[];
}

/** One row prepared for the threshold sweep (NAB's `AnomalyPoint`). */
export interface NabSweepPoint {
  readonly anomalyScore: number;
  /** What detecting this row is worth (positive in a window, negative outside). */
  readonly sweepScore: number;
  /** `file|windowIndex` inside a window, `null` outside, `'probationary'` during probation. */
  readonly windowName: string | null;
}

/** The corpus score at one threshold (NAB's `ThresholdScore`). */
export interface NabThresholdScore {
  readonly threshold: number;
  readonly score: number;
  readonly tp: number;
  readonly tn: number;
  readonly fp: number;
  readonly fn: number;
  readonly total: number;
}

/** Raised when the labels do not fit the data (a window limit that is no row's timestamp). */
export class NabLabelError extends MeshwardenError {
  constructor(message: string) {
    super('nab-label-mismatch', message);
  }
}

const PROBATIONARY = 'probationary';

/** NAB's `scaledSigmoid`: +0.987 at the left edge of a window, 0 at its right edge, -1 far after. */
export function scaledSigmoid(relativePosition: number): number {
  if (relativePosition > 3.0) return -1.0;
  return 2 / (1 + Math.exp(5 * relativePosition)) - 1;
}

/** Number of leading rows NAB leaves unscored in a file of `rows` rows. */
export function probationLength(rows: number, probationPercent = NAB_PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/**
 * Port of `Sweeper.calcSweepScore`: what each row of one file would be worth if detected.
 */
export function sweepFile(
  file: NabScoredFile,
  costs: NabCostMatrix,
  probationPercent = NAB_PROBATION_PERCENT,
): NabSweepPoint[] {
  const { timestamps, scores } = file;
  if (timestamps.length !== scores.length) {
    throw new NabLabelError(`${file.name}: ${timestamps.length} timestamps but ${scores.length} scores`);
  }
  const indexOf = new Map<number, number>();
  timestamps.forEach((t, i) => {
    if (!indexOf.has(t)) indexOf.set(t, i);
  });
  const rowOf = (t: number, edge: string): number => {
    const i = indexOf.get(t);
    if (i === undefined) {
      throw new NabLabelError(`${file.name}: window ${edge} ${new Date(t).toISOString()} is not a row timestamp`);
    }
    return i;
  };

  const maxTp = scaledSigmoid(-1.0);
  const probation = probationLength(timestamps.length, probationPercent);
  const pending = [...file.windows];
  let windowIndex = -1;
  let current: { name: string; right: number; width: number; end: number } | undefined;
  let previous: { right: number; width: number } | undefined;
  const points: NabSweepPoint[] = [];

  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i] ?? Number.NaN;
    const next = pending[0];
    if (next !== undefined && t === next[0]) {
      pending.shift();
      windowIndex += 1;
      const right = rowOf(next[1], 'end');
      current = { name: `${file.name}|${windowIndex}`, right, width: right - rowOf(next[0], 'start') + 1, end: next[1] };
    }

    let sweepScore: number;
    if (current !== undefined) {
      const position = -(current.right - i + 1) / current.width;
      sweepScore = (scaledSigmoid(position) * costs.tpWeight) / maxTp;
    } else if (previous === undefined) {
      sweepScore = -1.0 * costs.fpWeight;
    } else {
      // NAB divides by (width - 1); a one-row window would divide by zero there, and NAB's older
      // scorer treated that case as "two windows away", which is what this reproduces.
      const position = previous.width > 1 ? Math.abs(previous.right - i) / (previous.width - 1) : 2.0;
      sweepScore = scaledSigmoid(position) * costs.fpWeight;
    }

    const windowName = i >= probation ? (current?.name ?? null) : PROBATIONARY;
    points.push({ anomalyScore: scores[i] ?? 0, sweepScore, windowName });

    if (current !== undefined && t === current.end) {
      previous = { right: i, width: current.width };
      current = undefined;
    }
  }
  if (pending.length > 0) {
    const first = pending[0];
    if (first !== undefined) rowOf(first[0], 'start');
  }
  return points;
}

/**
 * Port of `Sweeper.calcScoreByThreshold`: the raw score at every distinct threshold, from "nothing
 * detected" (threshold 1.1) down to the lowest score, in that order.
 */
export function scoreByThreshold(points: readonly NabSweepPoint[], costs: NabCostMatrix): NabThresholdScore[] {
  // A stable sort, as Python's `sorted`, so ties keep file order.
  const scorable = points
    .filter((p) => p.windowName !== PROBATIONARY)
    .sort((a, b) => b.anomalyScore - a.anomalyScore);

  // Insertion order matters: NAB sums a dict that starts with the false-positive part and then
  // holds the windows in the order they first appear, and the same order keeps the floating-point
  // sums (and so the tie-breaking between thresholds) identical.
  const windowParts = new Map<string, number>();
  for (const p of scorable) if (p.windowName !== null) windowParts.set(p.windowName, -costs.fnWeight);
  let fpPart = 0;
  const total = (): number => {
    let sum = 0 + fpPart;
    for (const part of windowParts.values()) sum += part;
    return sum;
  };

  let tn = scorable.filter((p) => p.windowName === null).length;
  let fn = scorable.length - tn;
  let tp = 0;
  let fp = 0;
  let threshold = 1.1;
  const out: NabThresholdScore[] = [];
  const record = (): void => {
    out.push({ threshold, score: total(), tp, tn, fp, fn, total: tp + tn + fp + fn });
  };

  for (const p of scorable) {
    if (p.anomalyScore !== threshold) {
      record();
      threshold = p.anomalyScore;
    }
    if (p.windowName === null) {
      fp += 1;
      tn -= 1;
      fpPart += p.sweepScore;
    } else {
      tp += 1;
      fn -= 1;
      const before = windowParts.get(p.windowName) ?? -costs.fnWeight;
      windowParts.set(p.windowName, Math.max(before, p.sweepScore));
    }
  }
  record();
  return out;
}

/** The optimum for one profile over a corpus. */
export interface NabProfileResult {
  readonly threshold: number;
  readonly raw: number;
  readonly normalised: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/** Per-profile NAB results over a corpus. */
export type NabCorpusResult = { readonly windows: number } & { readonly [P in NabProfileName]: NabProfileResult };

/**
 * Port of NAB's optimise-then-normalise: for each profile, sweeps every threshold over all files
 * at once, keeps the best raw score (the highest threshold on ties, as NAB's stable sort does), and
 * normalises it between the null detector and the perfect one.
 */
export function scoreNabCorpus(
  files: readonly NabScoredFile[],
  probationPercent = NAB_PROBATION_PERCENT,
): NabCorpusResult {
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const profile = (costs: NabCostMatrix): NabProfileResult => {
    const points = files.flatMap((f) => sweepFile(f, costs, probationPercent));
    const sweep = scoreByThreshold(points, costs);
    let best = sweep[0];
    for (const row of sweep) if (best === undefined || row.score > best.score) best = row;
    if (best === undefined) throw new NabLabelError('empty corpus');
    const nullScore = -costs.fnWeight * windows;
    const perfectScore = costs.tpWeight * windows;
    const span = perfectScore - nullScore;
    return {
      threshold: best.threshold,
      raw: best.score,
      normalised: span > 0 ? (100 * (best.score - nullScore)) / span : 0,
      nullScore,
      perfectScore,
      tp: best.tp,
      fp: best.fp,
      fn: best.fn,
      tn: best.tn,
    };
  };
  return {
    windows,
    standard: profile(NAB_PROFILES.standard),
    reward_low_FP_rate: profile(NAB_PROFILES.reward_low_FP_rate),
    reward_low_FN_rate: profile(NAB_PROFILES.reward_low_FN_rate),
  };
}

/** A corpus scored at a threshold fixed in advance (no optimisation on the scored files). */
export interface NabFixedThresholdResult {
  readonly threshold: number;
  readonly windows: number;
  readonly raw: number;
  /** `null` when the files hold no window: NAB's normalisation divides by the window count. */
  readonly normalised: number | null;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/**
 * Scores files at a given threshold with NAB's rules (same sweep scores, same window and
 * false-positive accounting as {@link scoreNabCorpus}) but without searching for the threshold.
 * This is how a threshold learnt on some files is applied honestly to files it never saw.
 */
export function scoreAtThreshold(
  files: readonly NabScoredFile[],
  costs: NabCostMatrix,
  threshold: number,
  probationPercent = NAB_PROBATION_PERCENT,
): NabFixedThresholdResult {
  const windows = files.reduce((n, f) => n + f.windows.length, 0);
  const windowParts = new Map<string, number>();
  let fpPart = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const file of files) {
    for (const p of sweepFile(file, costs, probationPercent)) {
      if (p.windowName === PROBATIONARY) continue;
      const detected = p.anomalyScore >= threshold;
      if (p.windowName === null) {
        if (detected) {
          fp += 1;
          fpPart += p.sweepScore;
        } else {
          tn += 1;
        }
        continue;
      }
      const before = windowParts.get(p.windowName) ?? -costs.fnWeight;
      if (detected) {
        tp += 1;
        windowParts.set(p.windowName, Math.max(before, p.sweepScore));
      } else {
        fn += 1;
        windowParts.set(p.windowName, before);
      }
    }
  }
  let raw = fpPart;
  for (const part of windowParts.values()) raw += part;
  const nullScore = -costs.fnWeight * windows;
  const span = costs.tpWeight * windows - nullScore;
  return {
    threshold,
    windows,
    raw,
    normalised: span > 0 ? (100 * (raw - nullScore)) / span : null,
    tp,
    fp,
    fn,
    tn,
  };
}
