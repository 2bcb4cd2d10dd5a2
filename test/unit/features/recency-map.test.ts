import { describe, expect, it } from 'vitest';
import { RecencyMap } from '../../../src/features/recency-map.js';

describe('RecencyMap', () => {
  it('keeps entries oldest first, a set or touch making one the newest', () => {
    const map = new RecencyMap<string, number>();
    map.set('a', 1).set('b', 2).set('c', 3);
    map.touch('a');
    map.set('b', 20);
    expect([...map]).toEqual([['c', 3], ['a', 1], ['b', 20]]);
    expect(map.shift()).toEqual(['c', 3]);
    expect(map.size).toBe(2);
    expect(map.get('c')).toBeUndefined();
  });

  it('allows deleting the entry just returned while iterating', () => {
    const map = new RecencyMap<string, number>();
    for (const [k, v] of [['a', 1], ['b', 2], ['c', 3]] as const) map.set(k, v);
    for (const [key, value] of map) if (value !== 2) map.delete(key);
    expect([...map.values()]).toEqual([2]);
    expect(map.delete('zz')).toBe(false);
    expect(map.shift()).toEqual(['b', 2]);
    expect(map.shift()).toBeUndefined();
  });

  it('evicts the oldest of a large map in constant time, unlike a Map walked with keys().next()', () => {
    const map = new RecencyMap<number, number>();
    for (let i = 0; i < 100_000; i++) map.set(i, i);
    for (let i = 100_000; i < 200_000; i++) {
      map.shift();
      map.set(i, i);
    }
    expect(map.size).toBe(100_000);
    expect(map.shift()).toEqual([100_000, 100_000]);
  });
});
