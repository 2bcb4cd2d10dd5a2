import { describe, expect, it } from 'vitest';
import type { NabCostMatrix, NabScoredFile } from '../../../../src/bench/nab/nab-scorer.js';
import {
  NAB_PROFILES,
  NabLabelError,
  probationLength,
  scaledSigmoid,
  scoreByThreshold,
  scoreNabCorpus,
  sweepFile,
} from '../../../../src/bench/nab/nab-scorer.js';

// scaledSigmoid(p) = 2 / (1 + e^(5p)) - 1 = -tanh(2.5 p); the constants below are computed by hand
// from that identity, not from the code under test.
const MAX_TP = Math.tanh(2.5); // scaledSigmoid(-1) = 0.98661
const STANDARD = NAB_PROFILES.standard;
const MINUTE = 60_000;

/** A file (20 rows unless told) with one window over rows 5..9 (width 5) and the given scores. */
function file(scores: Record<number, number>, rows = 20, name = 'cat/a.csv', windowStart = 5): NabScoredFile {
  const timestamps = Array.from({ length: rows }, (_, i) => i * MINUTE);
  return {
    name,
    timestamps,
    scores: timestamps.map((_, i) => scores[i] ?? 0),
    windows: [[windowStart * MINUTE, (windowStart + 4) * MINUTE]],
  };
}

/** Raw score of one file at one threshold, without probation. */
function rawAt(f: NabScoredFile, threshold: number, costs: NabCostMatrix = STANDARD, probationPercent = 0): number {
  const rows = scoreByThreshold(sweepFile(f, costs, probationPercent), costs);
  let match = rows[0];
  for (const row of rows) if (row.threshold >= threshold) match = row;
  return match?.score ?? Number.NaN;
}

describe('scaledSigmoid', () => {
  it('is about +0.987 at the left edge of a window, 0 at its right edge and -1 far past it', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });
});

describe('probationLength', () => {
  it('is 15% of the rows, capped at 750', () => {
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(1243)).toBe(186);
    expect(probationLength(22_695)).toBe(750);
  });
});

describe('NAB window scoring', () => {
  it('gives a detection on the first row of a window the full true-positive weight', () => {
    expect(rawAt(file({ 5: 0.9 }), 0.9)).toBeCloseTo(1, 12);
  });

  it('gives a detection on the last row of a window little credit', () => {
    // position -(9 - 9 + 1) / 5 = -0.2
    expect(rawAt(file({ 9: 0.9 }), 0.9)).toBeCloseTo(Math.tanh(0.5) / MAX_TP, 12);
  });

  it('charges the false-negative weight for a window without detection', () => {
    expect(rawAt(file({}), 0.5)).toBe(-1);
    expect(rawAt(file({}), 0.5, NAB_PROFILES.reward_low_FN_rate)).toBe(-2);
  });

  it('counts only the earliest detection in a window', () => {
    // rows 6 and 8 detected: row 6 is at -(9 - 6 + 1) / 5 = -0.8
    expect(rawAt(file({ 6: 0.9, 8: 0.9 }), 0.9)).toBeCloseTo(Math.tanh(2) / MAX_TP, 12);
  });

  it('charges a false positive after a window less the closer it is to the window', () => {
    // row 12: |9 - 12| / (5 - 1) = 0.75, worth -tanh(1.875) * 0.11, plus the missed window
    expect(rawAt(file({ 12: 0.9 }), 0.9)).toBeCloseTo(-1 - 0.11 * Math.tanh(1.875), 12);
    expect(rawAt(file({ 10: 0.9 }), 0.9)).toBeGreaterThan(rawAt(file({ 19: 0.9 }), 0.9));
  });

  it('charges the full false-positive weight before any window', () => {
    expect(rawAt(file({ 2: 0.9 }), 0.9)).toBeCloseTo(-1 - 0.11, 12);
  });

  it('ignores detections during the probationary period', () => {
    // 15% of 20 rows = 3 probationary rows: row 2 is not scored, row 3 is.
    expect(rawAt(file({ 2: 0.9 }), 0.9, STANDARD, 0.15)).toBe(-1);
    expect(rawAt(file({ 3: 0.9 }), 0.9, STANDARD, 0.15)).toBeCloseTo(-1.11, 12);
  });

  it('cannot separate tied scores: a false positive tied with a true positive comes along', () => {
    const rows = scoreByThreshold(sweepFile(file({ 5: 0.8, 15: 0.8 }), STANDARD, 0), STANDARD);
    expect(rows.map((r) => r.threshold)).toEqual([1.1, 0.8, 0]);
    const at08 = rows[1];
    expect(at08?.tp).toBe(1);
    expect(at08?.fp).toBe(1);
    expect(at08?.score).toBeCloseTo(1 - 0.11 * Math.tanh(2.5 * (6 / 4)), 12);
  });

  it('rejects a window whose limits are not row timestamps', () => {
    const f: NabScoredFile = { ...file({}), windows: [[5.5 * MINUTE, 9 * MINUTE]] };
    const g: NabScoredFile = { ...file({}), windows: [[5 * MINUTE, 9.5 * MINUTE]] };
    expect(() => sweepFile(f, STANDARD)).toThrow(NabLabelError);
    expect(() => sweepFile(g, STANDARD)).toThrow(NabLabelError);
  });
});

describe('scoreNabCorpus', () => {
  it('chooses one threshold for the whole corpus and normalises between null and perfect', () => {
    // File a: TP at its window start with 0.9, an FP with 0.6. File b: TP at 0.6 on the window's
    // last row. Threshold 0.9 gives 1 - 1 = 0; threshold 0.6 adds b's late TP (+0.468 instead of
    // -1) and a's FP. Both files have 20 rows, so rows 0..2 are probationary.
    const a = file({ 5: 0.9, 15: 0.6 }, 20, 'cat/a.csv');
    const b = file({ 9: 0.6 }, 20, 'cat/b.csv');
    const result = scoreNabCorpus([a, b]);
    const late = Math.tanh(0.5) / MAX_TP;
    const fp = -0.11 * Math.tanh(2.5 * (6 / 4));
    expect(result.windows).toBe(2);
    expect(result.standard.threshold).toBe(0.6);
    expect(result.standard.raw).toBeCloseTo(1 + late + fp, 12);
    expect(result.standard.normalised).toBeCloseTo((100 * (1 + late + fp + 2)) / 4, 10);
    expect(result.standard.tp).toBe(2);
    expect(result.standard.fp).toBe(1);
  });

  it('keeps the highest threshold when two thresholds tie on raw score', () => {
    // Detecting row 6 (0.7) adds nothing once row 5 (0.9) is detected: same raw score.
    const result = scoreNabCorpus([file({ 5: 0.9, 6: 0.7 })]);
    expect(result.standard.threshold).toBe(0.9);
  });

  it('scores the detector that never fires as 0 and the perfect one as 100', () => {
    // Long enough that firing everywhere costs more false positives than the window earns.
    expect(scoreNabCorpus([file({}, 200, 'cat/a.csv', 100)]).standard.normalised).toBe(0);
    expect(scoreNabCorpus([file({ 5: 0.5 })]).reward_low_FP_rate.normalised).toBeCloseTo(100, 10);
  });
});
