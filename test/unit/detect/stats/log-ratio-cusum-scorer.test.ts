import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { StreamScorer } from '../../../../src/detect/stream-scorer.js';

/** A reproducible log-normal-ish latency around `median` ms (spread about 25%). */
function latencies(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return () => 30 * Math.exp(0.25 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

function scorer(extra: object = {}): StreamScorer {
  return createScorer(algorithmSchema.parse({ type: 'log-ratio-cusum', ...extra }));
}

/** Feeds `windows` windows of one request each; returns the scorer. */
function warmed(windows = 200, seed = 1): StreamScorer {
  const s = scorer();
  const next = latencies(seed);
  for (let i = 0; i < windows; i++) s.update(next(), i * 60_000, 1);
  return s;
}

describe('log-ratio-cusum', () => {
  it('learns the median level and one request\'s spread in log units', () => {
    const result = warmed().update(30, 200 * 60_000, 1);
    expect(result.expected).toBeGreaterThan(25);
    expect(result.expected).toBeLessThan(36);
    expect(result.spread).toBeGreaterThan(0.15);
    expect(result.spread).toBeLessThan(0.4);
  });

  it('needs three slow requests at one a minute, and alarms on the third', () => {
    const s = warmed();
    const scores = [70, 70, 70].map((v, i) => s.update(v, (300 + i) * 60_000, 1).score);
    expect(scores[0]).toBeLessThan(0.5);
    expect(scores[1]).toBeLessThan(0.5);
    expect(scores[2]).toBeGreaterThanOrEqual(0.5);
  });

  it('never alarms on one observation, however slow', () => {
    const s = warmed();
    expect(s.update(1e9, 300 * 60_000, 1).score).toBeLessThan(0.5);
    expect(s.update(30, 301 * 60_000, 1).score).toBeLessThan(0.5);
  });

  it('weighs a window by its observations: one window of twenty slow requests is enough', () => {
    const s = warmed();
    expect(s.update(70, 300 * 60_000, 20).score).toBeGreaterThanOrEqual(0.5);
  });

  it('drifts down on a level under sqrt(ratio) times the baseline, however many windows hold it', () => {
    const s = warmed();
    const scores = Array.from({ length: 300 }, (_, i) => s.update(36, (300 + i) * 60_000, 20).score);
    expect(Math.max(...scores)).toBe(0);
  });

  it('restarts after an alarm, so the next window is judged on its own evidence', () => {
    const s = warmed();
    expect(s.update(70, 300 * 60_000, 20).score).toBeGreaterThanOrEqual(0.5);
    expect(s.update(30, 301 * 60_000, 1).score).toBe(0);
  });

  it('watches the other side only when asked', () => {
    const down = scorer({ direction: 'down' });
    const up = scorer();
    const next = latencies(3);
    for (let i = 0; i < 200; i++) {
      const v = next();
      down.update(v, i, 1);
      up.update(v, i, 1);
    }
    expect(down.update(10, 300, 20).score).toBeGreaterThanOrEqual(0.5);
    expect(up.update(10, 300, 20).score).toBe(0);
  });

  it('takes a window without observations, or without a logarithm, as no evidence and learns nothing from it', () => {
    const s = warmed();
    const before = JSON.stringify(s.snapshot());
    for (const [value, weight] of [[70, 0], [70, Number.NaN], [-5, 1], [Number.POSITIVE_INFINITY, 1]] as const) {
      expect(s.update(value, 300 * 60_000, weight).score).toBe(0);
    }
    expect(JSON.stringify(s.snapshot())).toBe(before);
  });

  it('rejects a snapshot written by another algorithm', () => {
    const config = algorithmSchema.parse({ type: 'log-ratio-cusum' });
    expect(() => restoreScorer(config, { algorithm: 'cusum', version: 1, state: {} })).toThrow(/cusum/);
  });

  it('refuses a ratio that is no change and a misspelt parameter', () => {
    expect(algorithmSchema.safeParse({ type: 'log-ratio-cusum', ratio: 1 }).success).toBe(false);
    expect(algorithmSchema.safeParse({ type: 'log-ratio-cusum', minCout: 3 }).success).toBe(false);
  });
});
