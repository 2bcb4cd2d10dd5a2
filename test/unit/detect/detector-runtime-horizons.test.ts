import { describe, expect, it } from 'vitest';
import { DetectorRuntime } from '../../../src/detect/detector-runtime.js';
import type { DetectorStateSnapshot } from '../../../src/detect/detector-state.js';
import { detectorSchema, type DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { Entity } from '../../../src/features/entity.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2);
const api: Entity = { key: 'workload:ml-prod/api', kind: 'workload', namespace: 'ml-prod', name: 'api', workload: 'api' };

function detector(spec: Record<string, unknown>): DetectorSpec {
  return detectorSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Detector', metadata: { name: 'slow-api' }, spec });
}

const slowApi = detector({
  entity: 'workload', minRequests: 20, threshold: 0.9, horizons: ['15m'],
  algorithm: { type: 'robust-zscore', direction: 'up', warmup: 20, minRelativeSpread: 0.1 },
  features: [{ name: 'latency_p95', horizonAlgorithm: { type: 'robust-zscore', direction: 'up', warmup: 20, zAlarm: 4, minRelativeSpread: 0.05 } }],
});

function win(i: number, p95: number, requests = 10): FeatureWindow {
  return { entity: api, windowStart: T0 + i * MIN, windowEnd: T0 + (i + 1) * MIN, features: { requests, latency_p95: p95 }, details: {} };
}

/** Feeds `count` windows from `from` and returns the anomalies. */
function feed(runtime: DetectorRuntime, from: number, count: number, p95: (i: number) => number): number[] {
  const flagged: number[] = [];
  for (let i = from; i < from + count; i++) if (runtime.score(win(i, p95(i))).length > 0) flagged.push(i);
  return flagged;
}

describe('DetectorRuntime horizons', () => {
  it('judges windows too small to score alone over the horizon, with their own evidence', () => {
    const runtime = new DetectorRuntime([slowApi]);
    expect(feed(runtime, 0, 60, (i) => 100 + (i % 5))).toEqual([]);
    const [anomaly] = Array.from({ length: 15 }, (_, k) => runtime.score(win(60 + k, 200))).flat();
    expect(anomaly?.evidence[0]).toMatchObject({ feature: 'latency_p95', observed: 200 });
    expect(anomaly?.evidence[0]?.details?.[0]).toMatch(/^over the last 15m/);
  });

  it('counts a horizon as scored in the tally even when no window is scored alone', () => {
    const runtime = new DetectorRuntime([slowApi]);
    feed(runtime, 0, 30, () => 100);
    expect(runtime.takeTally().get('slow-api')?.scored).toBe(30 - 14);
  });

  it('carries rings and horizon baselines across a snapshot, and forgets them with the entity', () => {
    const first = new DetectorRuntime([slowApi]);
    feed(first, 0, 60, (i) => 100 + (i % 5));
    const saved: DetectorStateSnapshot = JSON.parse(JSON.stringify(first.snapshot())) as DetectorStateSnapshot;
    const resumed = new DetectorRuntime([slowApi], saved);
    expect(feed(resumed, 60, 15, () => 200).length).toBeGreaterThan(0);
    resumed.forget([api.key]);
    expect(resumed.snapshot().horizons).toEqual({});
    expect(resumed.scorerCount).toBe(0);
  });

  it('a corrupt saved ring starts afresh instead of failing', () => {
    const runtime = new DetectorRuntime([slowApi], { version: 1, scorers: {}, horizons: { 'slow-api|workload:ml-prod/api|latency_p95': { since: 0, ends: [1, 2], values: [1], weights: [] } } });
    expect(feed(runtime, 0, 20, () => 100)).toEqual([]);
  });

  it('refuses horizons on features with no aggregate, and beyond an hour', () => {
    const base = { entity: 'workload', threshold: 0.9, horizons: ['15m'], algorithm: { type: 'robust-zscore' } };
    expect(() => detector({ ...base, features: [{ name: 'distinct_paths' }] })).toThrow(/no aggregate/);
    expect(() => detector({ ...base, features: [{ name: 'latency_p95' }], horizons: ['2h'] })).toThrow();
  });
});
