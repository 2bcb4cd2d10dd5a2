import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';
import type { ScorerSnapshot } from '../../../../src/detect/stream-scorer.js';
import { ADVERSARIAL_SERIES } from './adversarial-series.js';

const config = (extra: Record<string, unknown> = {}) =>
  algorithmSchema.parse({ type: 'art-novelty', warmup: 20, ...extra });

/** Deterministic jitter in [-1, 1]. */
const jitter = (i: number): number => Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;

const HOUR = 3_600_000;

interface ArtState {
  recent: number[];
  memory: { step: number; vigilance: number; categories: { low: number[]; high: number[]; count: number; used: number }[] };
}

describe('art-novelty', () => {
  it('scores the jitter of a noisy series as familiar once its categories have absorbed it', () => {
    const scorer = createScorer(config());
    const scores: number[] = [];
    for (let i = 0; i < 2000; i++) scores.push(scorer.update(50 + 5 * jitter(i), i * 300_000).score);
    const late = scores.slice(1500);
    expect(Math.max(...late)).toBeLessThan(0.2);
    expect(late.filter((s) => s === 0).length).toBeGreaterThan(late.length / 2);
  });

  it('flags a stretch outside every category, and not once such stretches have been seen', () => {
    const scorer = createScorer(config());
    const burst = (from: number): number => {
      // Eight observations at twice the usual level: the window's means and spread leave every box.
      let peak = 0;
      for (let i = from; i < from + 8; i++) peak = Math.max(peak, scorer.update(100, i * 300_000).score);
      return peak;
    };
    for (let i = 0; i < 1000; i++) scorer.update(50 + 5 * jitter(i), i * 300_000);
    const first = burst(1000);
    for (let i = 1008; i < 3000; i++) scorer.update(i % 200 < 8 ? 100 : 50 + 5 * jitter(i), i * 300_000);
    const familiar = burst(3000);
    expect(first).toBeGreaterThan(0.5);
    expect(familiar).toBeLessThan(first / 2);
  });

  it('with time of day, finds a burst at a new hour more novel than the same burst at the usual hour', () => {
    const run = (burstHour: number): number => {
      const scorer = createScorer(config({ timeOfDay: 2 }));
      // Ten days of 5-minute samples with a daily burst at 03:00.
      let last = 0;
      for (let i = 0; i < 288 * 10; i++) {
        const t = i * 300_000;
        const burst = Math.floor(t / HOUR) % 24 === 3 && (t % HOUR) / 300_000 < 2;
        scorer.update(burst ? 90 : 50 + 2 * jitter(i), t);
      }
      const day = 288 * 10 * 300_000;
      for (let k = 0; k < 2; k++) last = Math.max(last, scorer.update(90, day + burstHour * HOUR + k * 300_000).score);
      return last;
    };
    expect(run(15)).toBeGreaterThan(run(3));
  });

  it('never remembers more categories than its capacity, and lowers vigilance when it overflows', () => {
    const c = config({ capacity: 4, window: 4, segments: 2, vigilance: 0.95, minVigilance: 0.8, vigilanceStep: 0.05 });
    const scorer = createScorer(c);
    let seed = 3;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 48271) % 2147483647;
      scorer.update(seed, i);
    }
    const state = scorer.snapshot().state as ArtState;
    expect(state.memory.categories).toHaveLength(4);
    expect(state.memory.categories.every((k) => k.low.length === 3 && k.high.length === 3)).toBe(true);
    expect(state.memory.vigilance).toBeCloseTo(0.8, 10);
    expect(state.recent).toHaveLength(4);
  });

  it('scores nothing on a constant series', () => {
    const scorer = createScorer(config());
    for (let i = 0; i < 300; i++) expect(scorer.update(42, i).score).toBe(0);
  });

  it.each(ADVERSARIAL_SERIES)('stays finite and restorable on %s', (_name, series) => {
    const c = config({ warmup: 2, window: 3, segments: 3, timeOfDay: 1 });
    const scorer = createScorer(c);
    for (const [i, v] of series.entries()) {
      const r = scorer.update(v, i * 60_000);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThan(1);
    }
    const saved = JSON.parse(JSON.stringify(scorer.snapshot())) as ScorerSnapshot;
    const restored = restoreScorer(c, saved);
    expect(restored.update(3, series.length * 60_000)).toEqual(scorer.update(3, series.length * 60_000));
  });

  it('survives timestamps that are not finite or far before 1970', () => {
    const scorer = createScorer(config({ warmup: 2, window: 2, segments: 1, timeOfDay: 1 }));
    for (const t of [Number.NaN, Number.NEGATIVE_INFINITY, -8.64e15, 8.64e15, 0, Number.POSITIVE_INFINITY]) {
      const r = scorer.update(t === 0 ? 1 : 2, t);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThan(1);
    }
  });

  it('refuses settings that contradict each other', () => {
    expect(algorithmSchema.safeParse({ type: 'art-novelty', window: 4, segments: 5 }).success).toBe(false);
    expect(algorithmSchema.safeParse({ type: 'art-novelty', vigilance: 0.7, minVigilance: 0.8 }).success).toBe(false);
    expect(algorithmSchema.safeParse({ type: 'art-novelty', vigilence: 0.8 }).success).toBe(false);
  });

  describe('refuses a restored state it could not have written', () => {
    const c = config({ capacity: 2, window: 4, segments: 2 });
    const scorer = createScorer(c);
    for (let i = 0; i < 60; i++) scorer.update(i % 5, i);
    const snap = scorer.snapshot();
    const state = snap.state as ArtState;
    const box = { low: [0.1, 0.1, 0], high: [0.2, 0.2, 0.1], count: 1, used: 0 };
    const cases: [string, unknown][] = [
      ['more categories than the capacity', { ...state, memory: { ...state.memory, categories: [box, box, box] } }],
      ['boxes of another dimension', { ...state, memory: { ...state.memory, categories: [{ ...box, low: [0], high: [1] }] } }],
      ['a box whose low end is above its high end', { ...state, memory: { ...state.memory, categories: [{ ...box, low: [0.5, 0.1, 0] }] } }],
      ['a box outside the unit cube', { ...state, memory: { ...state.memory, categories: [{ ...box, high: [2, 0.2, 0.1] }] } }],
      ['a category used in the future', { ...state, memory: { ...state.memory, categories: [{ ...box, used: state.memory.step + 1 }] } }],
      ['a vigilance below its floor', { ...state, memory: { ...state.memory, vigilance: 0.1 } }],
      ['a longer window than configured', { ...state, recent: [1, 2, 3, 4, 5] }],
      ['an unknown field', { ...state, extra: 1 }],
    ];
    it.each(cases)('%s', (_name, bad) => {
      expect(() => restoreScorer(c, { ...snap, state: bad })).toThrow(
        expect.objectContaining({ code: 'scorer-snapshot-invalid' }),
      );
    });
  });
});
