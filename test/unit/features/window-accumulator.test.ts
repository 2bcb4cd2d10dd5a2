import { describe, expect, it } from 'vitest';
import { quantileSorted, WindowAccumulator } from '../../../src/features/window-accumulator.js';
import { seededRandom } from '../../../src/shared/random.js';

/** The quantiles as a full sort of the whole sample gives them. */
function expected(durations: readonly number[]): [number, number, number] {
  const sorted = Float64Array.from(durations).sort();
  return [quantileSorted(sorted, 0.5), quantileSorted(sorted, 0.95), quantileSorted(sorted, 0.99)];
}

describe('WindowAccumulator latency quantiles', () => {
  it.each([1, 2, 3, 31, 32, 33, 100, 1024])('are those of the sorted sample for %i durations', (n) => {
    const random = seededRandom(n);
    const durations = Array.from({ length: n }, () => Math.floor(random() * 500));
    const acc = new WindowAccumulator();
    for (const ms of durations) {
      acc.requests++;
      acc.addDuration(ms, random);
    }
    const { features } = acc.features(60_000);
    expect([features.latency_p50, features.latency_p95, features.latency_p99]).toEqual(expected(durations));
  });

  it('does not carry one window\'s sample into the next window closed', () => {
    const big = new WindowAccumulator();
    for (let i = 0; i < 50; i++) {
      big.requests++;
      big.addDuration(1000 + i, Math.random);
    }
    big.features(60_000);
    const small = new WindowAccumulator();
    small.requests = 2;
    small.addDuration(3, Math.random);
    small.addDuration(1, Math.random);
    expect(small.features(60_000).features).toMatchObject({ latency_p50: 2, latency_p95: 2.9, latency_p99: 2.98 });
  });
});
