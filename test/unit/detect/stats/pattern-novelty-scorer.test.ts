import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { ScorerSnapshot } from '../../../../src/detect/stream-scorer.js';
import { ADVERSARIAL_SERIES } from './adversarial-series.js';

const config = (extra: Record<string, unknown> = {}) =>
  algorithmSchema.parse({ type: 'pattern-novelty', warmup: 20, ...extra });

/** A quiet series around 10 with a spike to 100 every `every` observations. */
const spikeTrain = (i: number, every: number): number => (i % every === every - 1 ? 100 : 10 + (i % 3) * 0.1);

describe('pattern-novelty', () => {
  it('flags the first spike but not the same spike once its shape is remembered', () => {
    const scorer = createScorer(config());
    const scores: number[] = [];
    for (let i = 0; i < 1000; i++) scores.push(scorer.update(i < 500 ? 10 + (i % 3) * 0.1 : spikeTrain(i, 50), i).score);
    const first = scores[549] ?? 0;
    const later = scores[949] ?? 1;
    expect(first).toBeGreaterThan(0.9);
    expect(later).toBeLessThan(0.1);
  });

  it('flags a step to a level never seen, then settles as the new level becomes familiar', () => {
    const scorer = createScorer(config());
    for (let i = 0; i < 300; i++) scorer.update(10 + Math.sin(i / 5), i);
    // The range is 9-11; 8 observations of 20 make a shape a full range away, then the window
    // fills with the new level and its shape is learnt.
    const step = scorer.update(20, 300).score;
    let settled = 1;
    for (let i = 301; i < 400; i++) settled = scorer.update(20 + Math.sin(i / 5) * 0.01, i).score;
    expect(step).toBeGreaterThan(0.5);
    expect(settled).toBeLessThan(0.1);
  });

  it('never remembers more shapes than its capacity', () => {
    const scorer = createScorer(config({ capacity: 5, window: 4 }));
    let seed = 3;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 48271) % 2147483647;
      scorer.update(seed, i);
    }
    const state = scorer.snapshot().state as { prototypes: { centre: number[] }[]; recent: number[] };
    expect(state.prototypes).toHaveLength(5);
    expect(state.prototypes.every((p) => p.centre.length === 4)).toBe(true);
    expect(state.recent).toHaveLength(4);
  });

  it.each(ADVERSARIAL_SERIES)('stays finite and restorable on %s', (_name, series) => {
    const c = config({ warmup: 2, window: 3 });
    const scorer = createScorer(c);
    for (const [i, v] of series.entries()) {
      const r = scorer.update(v, i);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThan(1);
    }
    const saved = JSON.parse(JSON.stringify(scorer.snapshot())) as ScorerSnapshot;
    const restored = restoreScorer(c, saved);
    expect(restored.update(3, series.length)).toEqual(scorer.update(3, series.length));
  });

  it('scores nothing on a constant series', () => {
    const scorer = createScorer(config());
    for (let i = 0; i < 300; i++) expect(scorer.update(42, i).score).toBe(0);
  });

  it('refuses a snapshot with more prototypes than its capacity or shapes of another length', () => {
    const c = config({ capacity: 2, window: 2 });
    const scorer = createScorer(c);
    for (let i = 0; i < 50; i++) scorer.update(i % 5, i);
    const snap = scorer.snapshot();
    const state = snap.state as { prototypes: { centre: number[]; count: number; used: number }[] };
    const flooded = { ...state, prototypes: Array.from({ length: 3 }, () => ({ centre: [1, 2], count: 1, used: 0 })) };
    expect(() => restoreScorer(c, { ...snap, state: flooded })).toThrow(expect.objectContaining({ code: 'scorer-snapshot-invalid' }));
    const longer = { ...state, prototypes: [{ centre: [1, 2, 3], count: 1, used: 0 }] };
    expect(() => restoreScorer(c, { ...snap, state: longer })).toThrow(/window of 2/);
  });
});
