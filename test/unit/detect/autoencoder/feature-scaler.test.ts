import { describe, expect, it } from 'vitest';
import { defaultTransform, FeatureScaler, sortedQuantile } from '../../../../src/detect/autoencoder/feature-scaler.js';

describe('FeatureScaler', () => {
  it('log-scales heavy-tailed features and keeps shares as they are', () => {
    expect(defaultTransform('egress_bytes')).toBe('log1p');
    expect(defaultTransform('request_rate')).toBe('log1p');
    expect(defaultTransform('ratio_401_403')).toBe('identity');
    expect(defaultTransform('confidence_mean')).toBe('identity');
  });

  it('centres on the median and scales by the IQR, so one extreme baseline value does not set the scale', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1e9];
    const scaler = FeatureScaler.fit(['ratio_5xx'], values.map((v) => [v]));
    const [scaling] = scaler.scalings;
    expect(scaling?.center).toBe(5.5);
    expect(scaling?.scale).toBeCloseTo((7.75 - 3.25) / 1.349, 12);
    expect(scaler.scale([5.5])[0]).toBe(0);
  });

  it('maps scaled values back to raw units through the inverse transform', () => {
    const scaler = FeatureScaler.fit(['bytes_out'], [[100], [1000], [10_000], [100_000]]);
    const scaled = scaler.scale([2500])[0] ?? Number.NaN;
    expect(scaler.unscale(0, scaled)).toBeCloseTo(2500, 6);
    expect(scaler.spread(0, scaled)).toBeGreaterThan(0);
  });

  it('floors the scale of a feature that never moved, and marks missing values as NaN', () => {
    const scaler = FeatureScaler.fit(['ratio_401_403', 'latency_p95'], [[0, 10], [0, undefined], [0, Number.NaN]]);
    expect(scaler.scalings.map((s) => s.scale)).toEqual([0.01, 0.05]);
    const scaled = scaler.scale([0.05, undefined]);
    expect(scaled[0]).toBeCloseTo(5, 12);
    expect(scaled[1]).toBeNaN();
  });

  it('centres a feature absent from the whole baseline on zero', () => {
    const scaler = FeatureScaler.fit(['distinct_peers'], [[undefined], [undefined]]);
    expect(scaler.scalings[0]).toEqual({ name: 'distinct_peers', transform: 'log1p', center: 0, scale: 0.05 });
  });
});

describe('sortedQuantile', () => {
  it('interpolates linearly between order statistics', () => {
    expect(sortedQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(sortedQuantile([1, 2, 3, 4], 1)).toBe(4);
    expect(sortedQuantile([1, 2, 3, 4], 0.995)).toBeCloseTo(3.985, 12);
    expect(sortedQuantile([], 0.5)).toBeNaN();
  });
});
