import { describe, expect, it } from 'vitest';
import type { NabCvRun } from '../../../../src/bench/nab/nab-cross-validation.js';
import { crossValidateNab } from '../../../../src/bench/nab/nab-cross-validation.js';
import type { NabScoredFile } from '../../../../src/bench/nab/nab-scorer.js';
import { NAB_PROFILES, scoreAtThreshold, scoreNabCorpus } from '../../../../src/bench/nab/nab-scorer.js';

const ROWS = 100;
const MINUTE = 60_000;

/**
 * A synthetic file of 100 rows (the first 15 probationary) with one window over rows 60-69 when
 * `windowScore` is given: score `windowScore` at row 62, `fpScore` at row 30 when given, 0 elsewhere.
 */
function file(name: string, windowScore: number | null, fpScore: number | null = null): NabScoredFile {
  const timestamps = Array.from({ length: ROWS }, (_, i) => i * MINUTE);
  const scores = timestamps.map((_, i) => (i === 62 && windowScore !== null ? windowScore : i === 30 && fpScore !== null ? fpScore : 0));
  const windows: (readonly [number, number])[] = windowScore === null ? [] : [[60 * MINUTE, 69 * MINUTE]];
  return { name, timestamps, scores, windows };
}

function run(label: string, files: Record<string, readonly NabScoredFile[]>): NabCvRun {
  return {
    label,
    files: Object.entries(files).flatMap(([category, scored]) =>
      scored.map((f) => ({ category, scored: { ...f, name: `${category}/${f.name}` } })),
    ),
  };
}

describe('crossValidateNab', () => {
  it('applies the threshold learnt on the training categories to the held-out one, never re-optimising it there', () => {
    // Category a: windows caught at 0.6, nothing else above 0. Category b: windows at 0.4 only.
    // Optimised on b itself the threshold would be 0.4 and b would score 100; learnt on a it is 0.6
    // and b's windows are missed.
    const single = run('only', {
      a: [file('1.csv', 0.6), file('2.csv', 0.6)],
      b: [file('1.csv', 0.4), file('2.csv', 0.4)],
    });
    const result = crossValidateNab([single]);
    const foldB = result.folds.find((f) => f.heldOut === 'b');
    expect(foldB?.training.standard.threshold).toBe(0.6);
    expect(foldB?.heldOutResult.standard.threshold).toBe(0.6);
    expect(foldB?.heldOutResult.standard.tp).toBe(0);
    expect(foldB?.heldOutResult.standard.normalised).toBeCloseTo(0, 9);
    // In-sample on b alone the same scores reach a near-perfect score: the gap is the optimism.
    const bOnly = single.files.filter((f) => f.category === 'b').map((f) => f.scored);
    expect(scoreNabCorpus(bOnly).standard.normalised).toBeGreaterThan(90);
  });

  it('chooses each fold\'s setting on the other categories only, even when another setting is best on the held-out one', () => {
    const good = { a: [file('1.csv', 0.9)], b: [file('1.csv', 0.9)], c: [file('1.csv', 0.05, 0.9)] };
    const poorElsewhere = { a: [file('1.csv', 0)], b: [file('1.csv', 0)], c: [file('1.csv', 0.9)] };
    const result = crossValidateNab([run('broad', good), run('narrow', poorElsewhere)]);
    const foldC = result.folds.find((f) => f.heldOut === 'c');
    expect(foldC?.chosenLabel).toBe('broad');
    expect(foldC?.trainingStandard[0]).toBeGreaterThan(foldC?.trainingStandard[1] ?? Number.POSITIVE_INFINITY);
    // 'narrow' would have caught c's window; 'broad' at its training threshold (0.9) raises a
    // false alarm there and misses the window.
    expect(foldC?.heldOutResult.standard.fp).toBe(1);
    expect(foldC?.heldOutResult.standard.tp).toBe(0);
    expect(foldC?.heldOutResult.standard.normalised ?? 100).toBeLessThan(0);
    expect(result.folds.map((f) => f.heldOut)).toEqual(['a', 'b', 'c']);
  });

  it('reports every profile at its own training threshold, the mean over folds and the pooled score', () => {
    const single = run('only', {
      a: [file('1.csv', 0.8), file('2.csv', 0.7)],
      b: [file('1.csv', 0.8, 0.5)],
      c: [file('1.csv', 0.9)],
    });
    const result = crossValidateNab([single]);
    for (const fold of result.folds) {
      const test = single.files.filter((f) => f.category === fold.heldOut).map((f) => f.scored);
      for (const profile of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
        const expected = scoreAtThreshold(test, NAB_PROFILES[profile], fold.training[profile].threshold);
        expect(fold.heldOutResult[profile]).toEqual(expected);
      }
    }
    const folds = result.folds.map((f) => f.heldOutResult.standard.normalised ?? Number.NaN);
    expect(result.meanOverFolds.standard).toBeCloseTo(folds.reduce((a, b) => a + b, 0) / folds.length, 9);
    const raw = result.folds.reduce((n, f) => n + f.heldOutResult.standard.raw, 0);
    expect(result.pooled.standard).toBeCloseTo((100 * (raw + 4)) / 8, 9);
  });

  it('charges a held-out category without windows in the pooled score only', () => {
    const single = run('only', {
      a: [file('1.csv', 0.8)],
      b: [file('1.csv', 0.8)],
      quiet: [file('1.csv', null, 0.9)],
    });
    const result = crossValidateNab([single]);
    const quiet = result.folds.find((f) => f.heldOut === 'quiet');
    expect(quiet?.windows).toBe(0);
    expect(quiet?.heldOutResult.standard.normalised).toBeNull();
    expect(quiet?.heldOutResult.standard.fp).toBe(1);
    expect(quiet?.heldOutResult.standard.raw).toBeCloseTo(-NAB_PROFILES.standard.fpWeight, 9);
    expect(result.meanOverFolds.standard).toBeCloseTo(100 * ((result.folds[0]?.heldOutResult.standard.raw ?? 0) + 1) / 2, 9);
    expect(result.pooled.standard ?? 100).toBeLessThan(result.meanOverFolds.standard ?? 0);
  });

  it('refuses runs over different files and a corpus of one category', () => {
    const one = run('one', { a: [file('1.csv', 0.5)], b: [file('1.csv', 0.5)] });
    const other = run('other', { a: [file('2.csv', 0.5)], b: [file('1.csv', 0.5)] });
    expect(() => crossValidateNab([one, other])).toThrow(/same files/);
    expect(() => crossValidateNab([run('x', { a: [file('1.csv', 0.5)] })])).toThrow(/two categories/);
    expect(() => crossValidateNab([])).toThrow(/at least one setting/);
  });
});

describe('scoreAtThreshold', () => {
  it('reproduces the optimiser\'s raw score at the optimiser\'s own threshold', () => {
    const files = [file('a.csv', 0.8, 0.3), file('b.csv', 0.2, 0.9), file('c.csv', null, 0.5)];
    const optimum = scoreNabCorpus(files);
    for (const profile of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      const fixed = scoreAtThreshold(files, NAB_PROFILES[profile], optimum[profile].threshold);
      expect(fixed.raw).toBeCloseTo(optimum[profile].raw, 9);
      expect(fixed.normalised).toBeCloseTo(optimum[profile].normalised, 9);
      expect([fixed.tp, fixed.fp]).toEqual([optimum[profile].tp, optimum[profile].fp]);
    }
  });

  it('detects nothing above every score and normalises to 0, and to null without windows', () => {
    const files = [file('a.csv', 0.8, 0.3)];
    const none = scoreAtThreshold(files, NAB_PROFILES.standard, 1.1);
    expect(none.tp + none.fp).toBe(0);
    expect(none.normalised).toBeCloseTo(0, 9);
    expect(scoreAtThreshold([file('q.csv', null)], NAB_PROFILES.standard, 0.5).normalised).toBeNull();
  });
});
