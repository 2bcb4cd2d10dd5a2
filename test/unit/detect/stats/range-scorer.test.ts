import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer } from '../../../../src/detect/stats/algorithm-registry.js';

describe('range', () => {
  it('scores 0 inside the range seen so far and grows with the excess beyond it', () => {
    const scorer = createScorer(algorithmSchema.parse({ type: 'range', warmup: 10 }));
    for (let i = 0; i < 100; i++) scorer.update(i % 2 === 0 ? 0 : 10, i);
    expect(scorer.update(5, 100).score).toBe(0);
    const small = createScorer(algorithmSchema.parse({ type: 'range', warmup: 10 }));
    const large = createScorer(algorithmSchema.parse({ type: 'range', warmup: 10 }));
    for (let i = 0; i < 100; i++) {
      small.update(i % 2 === 0 ? 0 : 10, i);
      large.update(i % 2 === 0 ? 0 : 10, i);
    }
    // 11 is 10% of the width beyond the maximum: the default tolerance, score 0.5.
    expect(small.update(11, 100).score).toBeCloseTo(0.5, 2);
    expect(large.update(20, 100).score).toBeGreaterThan(0.9);
  });

  it('watches only the side it is told to', () => {
    const scorer = createScorer(algorithmSchema.parse({ type: 'range', warmup: 10, direction: 'up' }));
    for (let i = 0; i < 100; i++) scorer.update(i % 2 === 0 ? 0 : 10, i);
    expect(scorer.update(-50, 100).score).toBe(0);
  });
});
