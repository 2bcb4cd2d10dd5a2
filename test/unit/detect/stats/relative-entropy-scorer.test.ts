import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { ScorerSnapshot } from '../../../../src/detect/stream-scorer.js';
import { ADVERSARIAL_SERIES } from './adversarial-series.js';

const config = (extra: Record<string, unknown> = {}) =>
  algorithmSchema.parse({ type: 'relative-entropy', warmup: 20, ...extra });

describe('relative-entropy', () => {
  it('flags a change of distribution that no single value betrays', () => {
    const scorer = createScorer(config({ window: 30 }));
    // A series alternating evenly over 0-9, then stuck on the middle levels 4 and 5: every
    // value is familiar, the mix is not.
    for (let i = 0; i < 2000; i++) scorer.update(i % 10, i);
    const before = scorer.update(3, 2000).score;
    let after = 0;
    for (let i = 2001; i < 2031; i++) after = scorer.update(4 + (i % 2), i).score;
    expect(before).toBeLessThan(0.1);
    expect(after).toBeGreaterThan(0.9);
  });

  it('keeps its window and histogram at their configured sizes', () => {
    const scorer = createScorer(config({ window: 7, levels: 5 }));
    for (let i = 0; i < 500; i++) scorer.update(Math.sin(i) * 100, i);
    const state = scorer.snapshot().state as { recent: number[]; reference: number[] };
    expect(state.recent).toHaveLength(7);
    expect(state.reference).toHaveLength(5);
  });

  it('resumes a full window in the same order', () => {
    const c = config({ window: 5 });
    const a = createScorer(c);
    for (let i = 0; i < 103; i++) a.update((i * 7) % 13, i);
    const b = restoreScorer(c, JSON.parse(JSON.stringify(a.snapshot())) as ScorerSnapshot);
    for (let i = 103; i < 130; i++) expect(b.update((i * 5) % 11, i)).toEqual(a.update((i * 5) % 11, i));
  });

  it.each(ADVERSARIAL_SERIES)('stays finite and restorable on %s', (_name, series) => {
    const c = config({ warmup: 2, window: 4 });
    const scorer = createScorer(c);
    for (const [i, v] of series.entries()) {
      const r = scorer.update(v, i);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThan(1);
    }
    const saved = JSON.parse(JSON.stringify(scorer.snapshot())) as ScorerSnapshot;
    expect(restoreScorer(c, saved).update(3, series.length)).toEqual(scorer.update(3, series.length));
  });

  it('refuses a snapshot whose window or histogram does not fit the configuration', () => {
    const c = config({ window: 3, levels: 4 });
    const scorer = createScorer(c);
    for (let i = 0; i < 10; i++) scorer.update(i, i);
    const snap = scorer.snapshot();
    const state = snap.state as { recent: number[]; reference: number[] };
    expect(() => restoreScorer(c, { ...snap, state: { ...state, recent: [0, 1, 2, 3] } })).toThrow(/window of 3/);
    expect(() => restoreScorer(c, { ...snap, state: { ...state, reference: [1, 2] } })).toThrow(/4 levels/);
    expect(() => restoreScorer(c, { ...snap, state: { ...state, recent: [9] } })).toThrow(
      expect.objectContaining({ code: 'scorer-snapshot-invalid' }),
    );
  });
});
