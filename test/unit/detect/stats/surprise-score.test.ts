import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SCORE, scoreToSurprise, surpriseToScore } from '../../../../src/detect/stats/surprise-score.js';

describe('surpriseToScore', () => {
  it('puts the decision boundary at 0.5, twice the boundary at 0.8 and three times at 0.9', () => {
    expect(surpriseToScore(4, 4)).toBe(0.5);
    expect(surpriseToScore(8, 4)).toBeCloseTo(0.8, 12);
    expect(surpriseToScore(12, 4)).toBeCloseTo(0.9, 12);
  });

  it('maps no evidence (zero, negative, NaN) to 0', () => {
    expect(surpriseToScore(0, 3)).toBe(0);
    expect(surpriseToScore(-2, 3)).toBe(0);
    expect(surpriseToScore(Number.NaN, 3)).toBe(0);
  });

  it('never reaches 1, even for an infinite surprise', () => {
    expect(surpriseToScore(Number.POSITIVE_INFINITY, 3)).toBe(MAX_SCORE);
    expect(surpriseToScore(1e300, 3)).toBeLessThan(1);
  });

  it('is strictly increasing over the range real series produce', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e7, noNaN: true }), fc.double({ min: 1.001, max: 10, noNaN: true }), (s, f) => {
        expect(surpriseToScore(s * f, 4)).toBeGreaterThan(surpriseToScore(s, 4));
      }),
    );
  });

  it('reads the ceiling score back as the largest finite surprise, never Infinity', () => {
    expect(scoreToSurprise(MAX_SCORE, 4)).toBe(Number.MAX_VALUE);
  });

  it('is inverted by scoreToSurprise', () => {
    for (const s of [0.1, 1, 4, 17, 300]) expect(scoreToSurprise(surpriseToScore(s, 4), 4)).toBeCloseTo(s, 6);
  });
});
