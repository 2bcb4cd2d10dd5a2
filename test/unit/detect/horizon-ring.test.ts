import { describe, expect, it } from 'vitest';
import { HorizonRing, MAX_HORIZON_WINDOWS, horizonRingStateSchema } from '../../../src/detect/horizon-ring.js';

const MIN = 60_000;

/** A ring fed `values` (with `weights`) one minute apart from time 0. */
function fed(values: readonly number[], weights: readonly number[] = values.map(() => 1), capacity = 60): HorizonRing {
  const ring = new HorizonRing(capacity, 0);
  values.forEach((value, i) => {
    ring.push((i + 1) * MIN, value, weights[i] ?? 0);
  });
  return ring;
}

describe('HorizonRing', () => {
  it('sums the windows that ended within the horizon', () => {
    const ring = fed([1, 2, 3, 4, 5, 6]);
    expect(ring.aggregate('sum', 6 * MIN, 3 * MIN)).toEqual({ value: 15, weight: 3, windows: 3 });
    expect(ring.aggregate('sum', 6 * MIN, 5 * MIN)?.value).toBe(20);
  });

  it('counts a missing window as nothing happened', () => {
    const ring = new HorizonRing(10, 0);
    ring.push(MIN, 10, 1);
    ring.push(2 * MIN, 10, 1);
    ring.push(5 * MIN, 10, 1);
    expect(ring.aggregate('sum', 5 * MIN, 3 * MIN)).toEqual({ value: 10, weight: 1, windows: 1 });
  });

  it('says nothing until the entity has been seen for the whole horizon', () => {
    const ring = fed([1, 2]);
    expect(ring.aggregate('sum', 2 * MIN, 3 * MIN)).toBeUndefined();
    expect(ring.aggregate('sum', 2 * MIN, 2 * MIN)?.value).toBe(3);
  });

  it('averages ratios weighted by the requests behind each window', () => {
    const ring = fed([0.5, 0], [10, 90]);
    expect(ring.aggregate('mean', 2 * MIN, 2 * MIN)?.value).toBeCloseTo(0.05, 12);
  });

  it('takes the request-weighted median of quantiles, which one slow window does not move', () => {
    const ring = fed([100, 100, 9000, 100, 100], [10, 10, 10, 10, 10]);
    expect(ring.aggregate('median', 5 * MIN, 5 * MIN)?.value).toBe(100);
    const regressed = fed([100, 100, 200, 200, 200], [10, 10, 10, 10, 10]);
    expect(regressed.aggregate('median', 5 * MIN, 5 * MIN)?.value).toBe(200);
    // Weight is traffic: a busy fast minute outweighs two quiet slow ones.
    expect(fed([100, 300, 300], [50, 10, 10]).aggregate('median', 3 * MIN, 3 * MIN)?.value).toBe(100);
  });

  it('judges no mean or median over windows without observations', () => {
    expect(fed([5, 5], [0, 0]).aggregate('median', 2 * MIN, 2 * MIN)).toBeUndefined();
  });

  it('never holds more than its capacity, nor more than the hard ceiling', () => {
    const ring = fed(Array.from({ length: 200 }, (_, i) => i), undefined, 1_000);
    expect(ring.state().values).toHaveLength(MAX_HORIZON_WINDOWS);
    expect(ring.state().values[0]).toBe(140);
    expect(fed([1, 2, 3, 4], undefined, 2).state().values).toEqual([3, 4]);
  });

  it('resumes from its state', () => {
    const ring = fed([1, 2, 3, 4]);
    const saved = horizonRingStateSchema.parse(JSON.parse(JSON.stringify(ring.state())));
    const resumed = new HorizonRing(60, 999 * MIN, saved);
    resumed.push(5 * MIN, 5, 1);
    expect(resumed.aggregate('sum', 5 * MIN, 5 * MIN)?.value).toBe(15);
  });

  it('refuses saved state whose arrays disagree or overflow', () => {
    expect(horizonRingStateSchema.safeParse({ since: 0, ends: [1], values: [], weights: [] }).success).toBe(false);
    const big = Array.from({ length: MAX_HORIZON_WINDOWS + 1 }, () => 1);
    expect(horizonRingStateSchema.safeParse({ since: 0, ends: big, values: big, weights: big }).success).toBe(false);
  });
});
