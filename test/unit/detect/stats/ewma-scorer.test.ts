import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';

function noise(i: number): number {
  return Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;
}

describe('ewma', () => {
  it('tracks the mean and flags a departure from it', () => {
    const scorer = createScorer(algorithmSchema.parse({ type: 'ewma' }));
    let last = scorer.update(50, 0);
    for (let i = 1; i < 300; i++) last = scorer.update(50 + noise(i), i);
    expect(last.expected).toBeCloseTo(50, 0);
    expect(last.score).toBeLessThan(0.3);
    expect(scorer.update(60, 301).score).toBeGreaterThan(0.9);
  });

  it('reports the running standard deviation as its spread', () => {
    const scorer = createScorer(algorithmSchema.parse({ type: 'ewma', halfLife: 1e9, minRelativeSpread: 0 }));
    for (let i = 0; i < 1000; i++) scorer.update(i % 2 === 0 ? 9 : 11, i);
    expect(scorer.update(10, 1000).spread).toBeCloseTo(1, 2);
  });

  it('resumes from a snapshot exactly where it left off', () => {
    const config = algorithmSchema.parse({ type: 'ewma' });
    const a = createScorer(config);
    for (let i = 0; i < 100; i++) a.update(20 + noise(i), i);
    const b = restoreScorer(config, a.snapshot());
    expect(b.update(25, 100)).toEqual(a.update(25, 100));
  });
});
