import { describe, expect, it } from 'vitest';
import { createScorer, algorithmSchema, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { ScoreResult } from '../../../../src/detect/stream-scorer.js';

function noise(i: number): number {
  // A deterministic, zero-mean wiggle so the tests are reproducible.
  return Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;
}

function feed(values: readonly number[], type: 'robust-zscore' | 'cusum' = 'robust-zscore', extra: object = {}): ScoreResult[] {
  const scorer = createScorer(algorithmSchema.parse({ type, ...extra }));
  return values.map((v, i) => scorer.update(v, i * 60_000));
}

describe('robust-zscore', () => {
  it('scores 0 and reports not ready during warm-up', () => {
    const results = feed([1, 2, 3, 1000], 'robust-zscore', { warmup: 10 });
    expect(results.every((r) => r.score === 0 && !r.ready)).toBe(true);
  });

  it('gives a spike a far higher score than ordinary noise', () => {
    const values = Array.from({ length: 300 }, (_, i) => 100 + noise(i));
    values.push(120);
    const results = feed(values);
    const last = results.at(-1);
    const maxNoise = Math.max(...results.slice(50, 300).map((r) => r.score));
    expect(last?.score).toBeGreaterThan(0.9);
    expect(maxNoise).toBeLessThan(0.3);
    expect(last?.expected).toBeCloseTo(100, 0);
  });

  it('keeps a tiny wiggle on a perfectly flat ratio below the alarm boundary', () => {
    const values: number[] = Array.from({ length: 200 }, () => 0);
    values.push(0.001);
    const last = feed(values).at(-1);
    expect(last?.score).toBeLessThan(0.5);
    expect(last?.spread).toBe(1e-3);
  });

  it('ignores drops when the direction is up', () => {
    const values = Array.from({ length: 200 }, (_, i) => 50 + noise(i));
    const up = feed([...values, 30], 'robust-zscore', { direction: 'up' }).at(-1);
    const both = feed([...values, 30]).at(-1);
    expect(up?.score).toBe(0);
    expect(both?.score).toBeGreaterThan(0.9);
  });

  it('does not let one spike drag the baseline', () => {
    const values = Array.from({ length: 200 }, (_, i) => 10 + noise(i));
    values.push(1e6, 10);
    const last = feed(values).at(-1);
    expect(last?.expected).toBeLessThan(12);
    expect(last?.score).toBeLessThan(0.3);
  });

  it('absorbs a sustained level shift so it stops alarming', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i < 200 ? 10 : 30) + noise(i));
    const results = feed(values, 'robust-zscore', { halfLife: 100 });
    expect(results[200]?.score).toBeGreaterThan(0.9);
    expect(results[399]?.score).toBeLessThan(0.5);
  });

  it('skips a non-finite value without corrupting the baseline', () => {
    const scorer = createScorer(algorithmSchema.parse({ type: 'robust-zscore', warmup: 2 }));
    for (let i = 0; i < 20; i++) scorer.update(5 + noise(i), i);
    const nan = scorer.update(Number.NaN, 21);
    const next = scorer.update(5, 22);
    expect(nan.score).toBe(0);
    expect(Number.isFinite(next.expected)).toBe(true);
  });

  it('resumes from a snapshot exactly where it left off', () => {
    const config = algorithmSchema.parse({ type: 'robust-zscore' });
    const a = createScorer(config);
    for (let i = 0; i < 100; i++) a.update(20 + noise(i), i);
    const b = restoreScorer(config, JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<typeof a.snapshot>);
    for (let i = 100; i < 120; i++) expect(b.update(20 + noise(i), i)).toEqual(a.update(20 + noise(i), i));
  });
});
