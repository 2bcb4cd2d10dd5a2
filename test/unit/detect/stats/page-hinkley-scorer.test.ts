import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer } from '../../../../src/detect/stats/algorithm-registry.js';

function noise(i: number): number {
  return Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;
}

function run(values: readonly number[], extra: object = {}): number[] {
  const scorer = createScorer(algorithmSchema.parse({ type: 'page-hinkley', ...extra }));
  return values.map((v, i) => scorer.update(v, i).score);
}

describe('page-hinkley', () => {
  it('declares a change in mean that persists, and stays quiet before it', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i < 300 ? 100 : 101.5) + noise(i));
    const scores = run(values);
    expect(Math.max(...scores.slice(60, 300))).toBeLessThan(0.5);
    expect(Math.max(...scores.slice(300))).toBeGreaterThanOrEqual(0.5);
  });

  it('detects only rises when the direction is up', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i < 300 ? 100 : 98.5) + noise(i));
    expect(Math.max(...run(values, { direction: 'up' }).slice(300))).toBeLessThan(0.5);
    expect(Math.max(...run(values, { direction: 'down' }).slice(300))).toBeGreaterThanOrEqual(0.5);
  });

  it('relearns the new level after a change instead of alarming on it for ever', () => {
    const values = Array.from({ length: 800 }, (_, i) => (i < 300 ? 100 : 103) + noise(i));
    const scores = run(values);
    expect(Math.max(...scores.slice(500))).toBeLessThan(0.5);
  });
});
