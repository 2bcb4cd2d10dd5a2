import { describe, expect, it } from 'vitest';
import { DistinctSketch, hash32 } from '../../../src/features/distinct-sketch.js';

describe('DistinctSketch', () => {
  it('counts small sets nearly exactly and ignores repeats', () => {
    const sketch = new DistinctSketch();
    for (let round = 0; round < 5; round++) for (let i = 0; i < 20; i++) sketch.add(`principal:203.0.113.${i}`);
    expect(sketch.estimate()).toBe(20);
    expect(new DistinctSketch().estimate()).toBe(0);
  });

  it.each([1_000, 10_000, 100_000])('estimates %i distinct keys within 10%%', (n) => {
    const sketch = new DistinctSketch();
    for (let i = 0; i < n; i++) sketch.add(`principal:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(Math.abs(sketch.estimate() - n) / n).toBeLessThan(0.1);
  });

  it('hashes to unsigned 32-bit values that differ for neighbouring keys', () => {
    const a = hash32('principal:198.51.100.1');
    const b = hash32('principal:198.51.100.2');
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(2 ** 32);
    expect(a).not.toBe(b);
  });
});
