import { describe, expect, it } from 'vitest';
import { PersistenceStreaks } from '../../../src/detect/persistence-streaks.js';

describe('PersistenceStreaks', () => {
  it('counts consecutive anomalous evaluations and starts over when one is not', () => {
    const streaks = new PersistenceStreaks();
    expect(streaks.record('model:a', 'feature-drift|drift_share', true)).toBe(1);
    expect(streaks.record('model:a', 'feature-drift|drift_share', true)).toBe(2);
    expect(streaks.record('model:a', 'feature-drift|drift_share', false)).toBe(0);
    expect(streaks.record('model:a', 'feature-drift|drift_share', true)).toBe(1);
  });

  it('keeps one run per entity and key', () => {
    const streaks = new PersistenceStreaks();
    streaks.record('model:a', 'd|x', true);
    expect(streaks.record('model:b', 'd|x', true)).toBe(1);
    expect(streaks.record('model:a', 'd|y', true)).toBe(1);
    expect(streaks.record('model:a', 'd|x', true)).toBe(2);
  });

  it('holds only running streaks, so a flood of quiet entities costs nothing', () => {
    const streaks = new PersistenceStreaks();
    for (let i = 0; i < 10_000; i++) streaks.record(`model:m${i}`, 'd|x', false);
    streaks.record('model:a', 'd|x', true);
    streaks.record('model:b', 'd|x', true);
    streaks.record('model:b', 'd|x', false);
    expect(streaks.size).toBe(1);
    expect(streaks.snapshot()).toEqual({ 'model:a': { 'd|x': 1 } });
  });

  it('resumes a run from its snapshot', () => {
    const first = new PersistenceStreaks();
    first.record('model:a', 'd|x', true);
    const restored = new PersistenceStreaks(JSON.parse(JSON.stringify(first.snapshot())));
    expect(restored.record('model:a', 'd|x', true)).toBe(2);
  });

  it('starts empty from a snapshot it does not understand', () => {
    for (const saved of [{ 'model:a': { 'd|x': -3 } }, { 'model:a': 'x' }, [1, 2], 'streaks']) {
      const streaks = new PersistenceStreaks(saved);
      expect(streaks.size).toBe(0);
      expect(streaks.record('model:a', 'd|x', true)).toBe(1);
    }
  });

  it('forgets the streaks of forgotten entities', () => {
    const streaks = new PersistenceStreaks();
    streaks.record('model:a', 'd|x', true);
    streaks.record('model:b', 'd|x', true);
    streaks.forget(new Set(['model:a']));
    expect(streaks.snapshot()).toEqual({ 'model:b': { 'd|x': 1 } });
  });
});
