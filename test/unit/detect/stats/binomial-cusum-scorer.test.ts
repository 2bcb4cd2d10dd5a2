import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { StreamScorer } from '../../../../src/detect/stream-scorer.js';

function scorer(extra: object = {}): StreamScorer {
  return createScorer(algorithmSchema.parse({ type: 'binomial-cusum', ...extra }));
}

/** A scorer that has seen `windows` clean windows of `requests` each. */
function warmed(requests = 1, windows = 1_000, extra: object = {}): StreamScorer {
  const s = scorer(extra);
  for (let i = 0; i < windows; i++) s.update(0, i * 60_000, requests);
  return s;
}

describe('binomial-cusum', () => {
  it('judges a clean workload against the minShare floor, not against zero', () => {
    expect(warmed().update(0, 0, 1).expected).toBe(0.01);
  });

  it('needs three failures at one request a minute, and alarms on the third', () => {
    const s = warmed();
    const scores = [1, 1, 1].map((v, i) => s.update(v, (200 + i) * 60_000, 1).score);
    expect(scores[0]).toBeLessThan(0.5);
    expect(scores[1]).toBeLessThan(0.5);
    expect(scores[2]).toBeGreaterThanOrEqual(0.5);
  });

  it('lets successes in between wear the evidence down', () => {
    const s = warmed();
    const scores = [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1].map((v, i) => s.update(v, (200 + i) * 60_000, 1).score);
    expect(Math.max(...scores)).toBeLessThan(0.5);
  });

  it('weighs a window by its requests: half of forty failing alarms at once, one in forty drifts down', () => {
    expect(warmed(40).update(0.5, 0, 40).score).toBeGreaterThanOrEqual(0.5);
    const s = warmed(40);
    const scores = Array.from({ length: 500 }, (_, i) => s.update(1 / 40, i, 40).score);
    expect(Math.max(...scores)).toBe(0);
  });

  it('learns a workload that routinely fails and asks for half of its successes to fail on top', () => {
    const s = scorer();
    for (let i = 0; i < 200; i++) s.update(0.3, i, 100);
    expect(s.update(0.4, 200, 100).score).toBe(0);
    expect(s.update(0.7, 201, 100).score).toBeGreaterThanOrEqual(0.5);
  });

  it('takes a share outside [0, 1] or a window without requests as no evidence and learns nothing from it', () => {
    const s = warmed();
    const before = JSON.stringify(s.snapshot());
    for (const [value, weight] of [[1.5, 1], [-0.1, 1], [Number.NaN, 1], [1, 0], [1, Number.POSITIVE_INFINITY]] as const) {
      expect(s.update(value, 0, weight).score).toBe(0);
    }
    expect(JSON.stringify(s.snapshot())).toBe(before);
  });

  it('rejects a snapshot written by another algorithm, and a share that is no change', () => {
    const config = algorithmSchema.parse({ type: 'binomial-cusum' });
    expect(() => restoreScorer(config, { algorithm: 'cusum', version: 1, state: {} })).toThrow(/cusum/);
    expect(algorithmSchema.safeParse({ type: 'binomial-cusum', share: 0 }).success).toBe(false);
    expect(algorithmSchema.safeParse({ type: 'binomial-cusum', minEvent: 3 }).success).toBe(false);
  });
});
