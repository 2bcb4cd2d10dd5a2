import { describe, expect, it } from 'vitest';
import { FuzzyArtMemory } from '../../../../src/detect/stats/fuzzy-art-memory.js';

const options = {
  weights: [1, 1],
  capacity: 3,
  vigilance: 0.8,
  minVigilance: 0.6,
  vigilanceStep: 0.1,
  learningRate: 1,
};

describe('FuzzyArtMemory', () => {
  it('grows a resonating box to include the input, so the same input is then inside it', () => {
    const memory = new FuzzyArtMemory(options);
    expect(memory.present([0.5, 0.5])).toEqual({ novelty: 0, created: true });
    // Growth 0.1 of a budget of (1 - 0.8) * 2 = 0.4: resonates and learns.
    const near = memory.present([0.6, 0.5]);
    expect(near.created).toBe(false);
    expect(near.novelty).toBeCloseTo(0.25, 12);
    expect(memory.present([0.55, 0.5])).toEqual({ novelty: 0, created: false });
    expect(memory.size).toBe(1);
  });

  it('founds a new category when no box may grow that far, and reports how far the nearest was', () => {
    const memory = new FuzzyArtMemory(options);
    memory.present([0.1, 0.1]);
    const far = memory.present([0.9, 0.9]);
    expect(far.created).toBe(true);
    expect(far.novelty).toBeCloseTo(1.6 / 0.4, 12);
    expect(memory.size).toBe(2);
  });

  it('chooses the box needing the least growth among those that resonate', () => {
    // Budget (1 - 0.5) * 2 = 1: boxes far enough apart to be two, close enough that both resonate.
    const memory = new FuzzyArtMemory({ ...options, vigilance: 0.5, minVigilance: 0.5 });
    memory.present([0, 0]);
    memory.present([0.6, 0.6]);
    expect(memory.size).toBe(2);
    // Growth 0.7 towards the first box, 0.5 towards the second: the second learns.
    const between = memory.present([0.35, 0.35]);
    expect(between).toEqual({ novelty: 0.5, created: false });
    const state = memory.snapshot();
    expect(state.categories[0]).toMatchObject({ low: [0, 0], high: [0, 0], count: 1 });
    expect(state.categories[1]).toMatchObject({ low: [0.35, 0.35], high: [0.6, 0.6], count: 2 });
  });

  it('forgets the category resonating least recently when full, and gives up vigilance down to its floor', () => {
    const memory = new FuzzyArtMemory(options);
    for (const x of [0, 0.3, 0.6]) memory.present([x, x]);
    memory.present([0.05, 0]); // refreshes the first category
    memory.present([0.95, 0.95]); // full: replaces the one at 0.3
    const state = memory.snapshot();
    expect(state.categories.map((c) => c.low[0])).toEqual([0, 0.95, 0.6]);
    expect(memory.vigilance).toBeCloseTo(0.7, 12);
    for (let i = 0; i < 10; i++) memory.present([i / 10, 1 - i / 10]);
    expect(memory.vigilance).toBeCloseTo(0.6, 12);
    expect(memory.size).toBe(3);
  });

  it('learns only part of the way with a learning rate below 1', () => {
    const memory = new FuzzyArtMemory({ ...options, learningRate: 0.5 });
    memory.present([0.5, 0.5]);
    memory.present([0.6, 0.5]);
    expect(memory.snapshot().categories[0]).toMatchObject({ low: [0.5, 0.5], high: [0.55, 0.5] });
  });

  it('resumes from its snapshot exactly', () => {
    const a = new FuzzyArtMemory(options);
    for (let i = 0; i < 30; i++) a.present([(i * 0.37) % 1, (i * 0.61) % 1]);
    const b = new FuzzyArtMemory(options, JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<typeof a.snapshot>);
    for (let i = 30; i < 60; i++) {
      const input = [(i * 0.37) % 1, (i * 0.61) % 1];
      expect(b.present(input)).toEqual(a.present(input));
    }
    expect(FuzzyArtMemory.fits(options, a.snapshot())).toBe(true);
  });
});
