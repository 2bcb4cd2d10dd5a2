import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';

function noise(i: number): number {
  return Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;
}

function run(values: readonly number[], extra: object = {}): number[] {
  const scorer = createScorer(algorithmSchema.parse({ type: 'cusum', ...extra }));
  return values.map((v, i) => scorer.update(v, i).score);
}

describe('cusum', () => {
  it('detects a small persistent upward shift that no single point reveals', () => {
    const base = Array.from({ length: 300 }, (_, i) => 100 + noise(i));
    const shifted = Array.from({ length: 60 }, (_, i) => 100.8 + noise(300 + i));
    const scores = run([...base, ...shifted]);
    expect(Math.max(...scores.slice(50, 300))).toBeLessThan(0.5);
    expect(Math.max(...scores.slice(300))).toBeGreaterThanOrEqual(0.5);
  });

  it('detects a downward shift too', () => {
    const values = Array.from({ length: 360 }, (_, i) => (i < 300 ? 100 : 99.2) + noise(i));
    expect(Math.max(...run(values).slice(300))).toBeGreaterThanOrEqual(0.5);
  });

  it('ignores a downward shift when only upward changes are asked for', () => {
    const values = Array.from({ length: 360 }, (_, i) => (i < 300 ? 100 : 99.2) + noise(i));
    expect(Math.max(...run(values, { direction: 'up' }).slice(300))).toBeLessThan(0.5);
  });

  it('restarts its sums after an alarm, so the next score starts low', () => {
    const values = Array.from({ length: 200 }, (_, i) => 10 + noise(i));
    values.push(1000, 10);
    const scores = run(values);
    expect(scores[200]).toBeGreaterThan(0.9);
    expect(scores[201]).toBeLessThan(0.1);
  });

  it('rejects a snapshot written by another algorithm', () => {
    const z = createScorer(algorithmSchema.parse({ type: 'robust-zscore' }));
    expect(() => restoreScorer(algorithmSchema.parse({ type: 'cusum' }), z.snapshot())).toThrow(
      expect.objectContaining({ code: 'scorer-snapshot-invalid' }),
    );
  });
});
