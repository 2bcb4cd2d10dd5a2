import { describe, expect, it } from 'vitest';
import { seededRandom, shuffleInPlace } from '../../../src/shared/random.js';

describe('shuffleInPlace', () => {
  it('permutes every value once, the same way for the same seed', () => {
    const shuffled = (seed: number): number[] => {
      const values = Array.from({ length: 50 }, (_, i) => i);
      shuffleInPlace(values, seededRandom(seed));
      return values;
    };
    const once = shuffled(7);
    expect([...once].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(once).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffled(7)).toEqual(once);
    expect(shuffled(8)).not.toEqual(once);
  });

  it('swaps from the end, drawing one number per position (the order trainings are reproduced with)', () => {
    // Fisher-Yates with draws 0.99, 0 and 0.5 over [0, 1, 2, 3]: i=3 keeps 3, i=2 swaps with 0, i=1 swaps with 1.
    const draws = [0.99, 0, 0.5];
    const values = [0, 1, 2, 3];
    shuffleInPlace(values, () => draws.shift() ?? 0);
    expect(values).toEqual([2, 1, 0, 3]);
    expect(draws).toEqual([]);
  });
});
