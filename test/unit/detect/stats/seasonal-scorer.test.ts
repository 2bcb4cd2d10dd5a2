import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import { ScorerSnapshotError } from '../../../../src/detect/stats/scorer-snapshot-error.js';

const MINUTE = 60_000;
const STEP = 10 * MINUTE;

/** Request rate with a daily rhythm: 100 by day (08:00-20:00), 10 by night. */
function rate(t: number): number {
  const hour = new Date(t).getUTCHours();
  return (hour >= 8 && hour < 20 ? 100 : 10) + Math.sin(t / 7e5);
}

describe('seasonal', () => {
  const days = 10;
  const steps = (days * 24 * 60 * MINUTE) / STEP;

  it('learns the daily rhythm so day and night levels raise no alarm', () => {
    const scorer = createScorer(algorithmSchema.parse({ type: 'seasonal' }));
    const scores: number[] = [];
    for (let i = 0; i < steps; i++) scores.push(scorer.update(rate(i * STEP), i * STEP).score);
    expect(Math.max(...scores.slice(steps - 144))).toBeLessThan(0.3);
  });

  it('flags a daytime level at night, which a global baseline would accept', () => {
    const seasonal = createScorer(algorithmSchema.parse({ type: 'seasonal' }));
    const global = createScorer(algorithmSchema.parse({ type: 'robust-zscore', halfLife: 5000 }));
    for (let i = 0; i < steps; i++) {
      seasonal.update(rate(i * STEP), i * STEP);
      global.update(rate(i * STEP), i * STEP);
    }
    const night = steps * STEP + 3 * 60 * MINUTE;
    expect(seasonal.update(100, night).score).toBeGreaterThan(0.5);
    expect(global.update(100, night).score).toBeLessThan(0.5);
  });

  it('rejects a bucket width that does not divide the period', () => {
    expect(algorithmSchema.safeParse({ type: 'seasonal', bucketMinutes: 7 }).success).toBe(false);
  });

  it('refuses a snapshot taken with a different number of buckets', () => {
    const daily = createScorer(algorithmSchema.parse({ type: 'seasonal' }));
    expect(() => restoreScorer(algorithmSchema.parse({ type: 'seasonal', period: 'week' }), daily.snapshot())).toThrow(
      ScorerSnapshotError,
    );
  });
});
