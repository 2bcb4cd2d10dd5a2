import { describe, expect, it } from 'vitest';
import { EntityWindows } from '../../../src/features/entity-windows.js';
import { WindowAccumulator } from '../../../src/features/window-accumulator.js';

describe('EntityWindows', () => {
  it('keeps any number of open windows by start, as a Map would', () => {
    const windows = new EntityWindows();
    const accs = [0, 60_000, 120_000, 180_000].map((start) => [start, new WindowAccumulator()] as const);
    for (const [start, acc] of accs) windows.set(start, acc);
    expect(windows.size).toBe(4);
    for (const [start, acc] of accs) expect(windows.get(start)).toBe(acc);
    expect(windows.keys()).toEqual([0, 60_000, 120_000, 180_000]);
    expect(windows.has(240_000)).toBe(false);

    expect(windows.delete(0)).toBe(true);
    expect(windows.delete(0)).toBe(false);
    expect(windows.delete(180_000)).toBe(true);
    expect(windows.keys()).toEqual([60_000, 120_000]);
    // A freed slot takes the next window; replacing keeps one entry per start.
    const replacement = new WindowAccumulator();
    windows.set(240_000, new WindowAccumulator());
    windows.set(60_000, replacement);
    expect(windows.get(60_000)).toBe(replacement);
    expect(windows.size).toBe(3);

    windows.clear();
    expect(windows.size).toBe(0);
    expect(windows.get(60_000)).toBeUndefined();
  });
});
