import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { ScorerSnapshot } from '../../../../src/detect/stream-scorer.js';
import { ADVERSARIAL_SERIES } from './adversarial-series.js';

const config = (extra: Record<string, unknown> = {}) =>
  algorithmSchema.parse({ type: 'context-novelty', warmup: 20, ...extra });

/** A repeating staircase 0, 1, 2, ..., 7 over a range of 0-7. */
const rhythm = (i: number): number => i % 8;

describe('context-novelty', () => {
  it('learns a rhythm and then flags a level out of sequence, not the rhythm itself', () => {
    const scorer = createScorer(config());
    for (let i = 0; i < 800; i++) scorer.update(rhythm(i), i);
    const familiar = scorer.update(rhythm(800), 800).score;
    // 7 right after 0 never happened: every order's context predicts 1.
    const outOfSequence = scorer.update(7, 801).score;
    expect(familiar).toBeLessThan(0.05);
    expect(outOfSequence).toBeGreaterThan(0.5);
  });

  it('judges a noisy series against its own noise', () => {
    const noisy = createScorer(config());
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const scores: number[] = [];
    for (let i = 0; i < 3000; i++) scores.push(noisy.update(random(), i).score);
    // Uniform noise is as unpredictable as the level count allows, about one log2(levels) unit of
    // surprise, which stays well under the boundary of two.
    expect(Math.max(...scores.slice(2000))).toBeLessThan(0.5);
  });

  it('scores 0 while it warms up', () => {
    const scorer = createScorer(config({ warmup: 50 }));
    for (let i = 0; i < 50; i++) expect(scorer.update(i % 3 === 0 ? 1000 : i, i)).toMatchObject({ score: 0, ready: false });
    expect(scorer.update(1, 50).ready).toBe(true);
  });

  it('never remembers more than its capacity', () => {
    const scorer = createScorer(config({ capacity: 32, levels: 32, maxOrder: 6 }));
    let seed = 1;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 48271) % 2147483647;
      scorer.update(seed, i);
    }
    const state = scorer.snapshot().state as { entries: unknown[]; history: unknown[] };
    expect(state.entries.length).toBeLessThanOrEqual(32);
    expect(state.history.length).toBeLessThanOrEqual(6);
  });

  it.each(ADVERSARIAL_SERIES)('stays finite and restorable on %s', (_name, series) => {
    const c = config({ warmup: 2 });
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

  it('refuses a snapshot that would exceed its capacity or its level count', () => {
    const c = config({ capacity: 16 });
    const scorer = createScorer(c);
    for (let i = 0; i < 100; i++) scorer.update(rhythm(i), i);
    const snap = scorer.snapshot();
    const state = snap.state as { entries: [number, number, number][]; history: number[]; step: number };
    const flooded = { ...state, entries: Array.from({ length: 17 }, (_, i): [number, number, number] => [i, 1, 0]) };
    expect(() => restoreScorer(c, { ...snap, state: flooded })).toThrow(expect.objectContaining({ code: 'scorer-snapshot-invalid' }));
    const badLevel = { ...state, history: [99] };
    expect(() => restoreScorer(c, { ...snap, state: badLevel })).toThrow(/levels/);
    const future = { ...state, entries: [[4, 1, state.step + 1]] };
    expect(() => restoreScorer(c, { ...snap, state: future })).toThrow(/future/);
  });

  it('rejects parameters that would break its exact integer keys', () => {
    expect(algorithmSchema.safeParse({ type: 'context-novelty', levels: 64 }).success).toBe(false);
    expect(algorithmSchema.safeParse({ type: 'context-novelty', maxOrder: 7 }).success).toBe(false);
  });
});
