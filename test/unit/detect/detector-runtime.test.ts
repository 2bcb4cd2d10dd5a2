import { describe, expect, it } from 'vitest';
import { DetectorRuntime } from '../../../src/detect/detector-runtime.js';
import { detectorSchema, type DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { Entity } from '../../../src/features/entity.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2);

function detector(spec: Record<string, unknown>, name = 'error-storm'): DetectorSpec {
  return detectorSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Detector', metadata: { name }, spec });
}

const inference: Entity = { key: 'workload:ml-prod/inference', kind: 'workload', namespace: 'ml-prod', name: 'inference', workload: 'inference' };

function win(i: number, features: Record<string, number>, entity: Entity = inference): FeatureWindow {
  return { entity, windowStart: T0 + i * MIN, windowEnd: T0 + (i + 1) * MIN, features, details: {} };
}

const errorStorm = detector({
  entity: 'workload', minRequests: 10, threshold: 0.9,
  algorithm: { type: 'robust-zscore', direction: 'up', warmup: 20, minSpread: 0.01 },
  features: [{ name: 'ratio_5xx', min: 0.1 }],
});

function baseline(runtime: DetectorRuntime, windows: number, entity: Entity = inference): void {
  for (let i = 0; i < windows; i++) {
    expect(runtime.score(win(i, { requests: 100, ratio_5xx: 0.01 + (i % 3) * 0.002 }, entity))).toEqual([]);
  }
}

describe('DetectorRuntime', () => {
  it('raises an anomaly with its evidence when a feature leaves its baseline', () => {
    const runtime = new DetectorRuntime([errorStorm]);
    baseline(runtime, 60);
    const [anomaly] = runtime.score(win(60, { requests: 100, ratio_5xx: 0.6 }));
    expect(anomaly).toMatchObject({ detector: 'error-storm', severity: 'medium', windowStart: T0 + 60 * MIN, windowEnd: T0 + 61 * MIN });
    expect(anomaly?.entity.key).toBe('workload:ml-prod/inference');
    expect(anomaly?.score).toBeGreaterThanOrEqual(0.9);
    expect(anomaly?.score).toBeLessThan(1);
    expect(anomaly?.evidence).toEqual([expect.objectContaining({ feature: 'ratio_5xx', observed: 0.6 })]);
    expect(anomaly?.evidence[0]?.expected).toBeCloseTo(0.012, 2);
  });

  it('does not score windows with too few requests, nor values under the absolute floor', () => {
    const runtime = new DetectorRuntime([errorStorm]);
    baseline(runtime, 60);
    expect(runtime.score(win(60, { requests: 5, ratio_5xx: 0.8 }))).toEqual([]);
    expect(runtime.score(win(61, { requests: 100, ratio_5xx: 0.09 }))).toEqual([]);
  });

  it('stays silent while warming up', () => {
    const runtime = new DetectorRuntime([errorStorm]);
    expect(runtime.score(win(0, { requests: 100, ratio_5xx: 0.9 }))).toEqual([]);
  });

  it('keeps one baseline per entity, or one for the whole cohort', () => {
    const other: Entity = { ...inference, key: 'workload:ml-prod/auth', name: 'auth', workload: 'auth' };
    const perEntity = new DetectorRuntime([errorStorm]);
    baseline(perEntity, 60);
    expect(perEntity.score(win(60, { requests: 100, ratio_5xx: 0.6 }, other))).toEqual([]);

    const cohort = new DetectorRuntime([detector({ ...errorStorm.spec, baseline: 'cohort' })]);
    baseline(cohort, 60);
    expect(cohort.score(win(60, { requests: 100, ratio_5xx: 0.6 }, other))).toHaveLength(1);
  });

  it('selects entities by namespace and labels', () => {
    const runtime = new DetectorRuntime([detector({ ...errorStorm.spec, namespaces: ['other'], matchLabels: { tier: 'gold' } })]);
    baseline(runtime, 60);
    expect(runtime.score(win(60, { requests: 100, ratio_5xx: 0.6 }))).toEqual([]);
    expect(runtime.scorerCount).toBe(0);
  });

  it('resumes from a snapshot with its baseline instead of warming up again', () => {
    const first = new DetectorRuntime([errorStorm]);
    baseline(first, 60);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<DetectorRuntime['snapshot']>;
    const resumed = new DetectorRuntime([errorStorm], snapshot);
    expect(resumed.score(win(60, { requests: 100, ratio_5xx: 0.6 }))).toHaveLength(1);
    expect(new DetectorRuntime([errorStorm]).score(win(60, { requests: 100, ratio_5xx: 0.6 }))).toEqual([]);
  });

  it('gives the same anomaly the same id, so replays deduplicate', () => {
    const a = new DetectorRuntime([errorStorm]);
    const b = new DetectorRuntime([errorStorm]);
    baseline(a, 60);
    baseline(b, 60);
    expect(a.score(win(60, { requests: 100, ratio_5xx: 0.6 }))[0]?.id).toBe(b.score(win(60, { requests: 100, ratio_5xx: 0.6 }))[0]?.id);
  });

  it('forgets the scorers of evicted entities', () => {
    const runtime = new DetectorRuntime([errorStorm]);
    baseline(runtime, 5);
    expect(runtime.scorerCount).toBe(1);
    runtime.forget(['workload:ml-prod/inference']);
    expect(runtime.scorerCount).toBe(0);
  });
});
