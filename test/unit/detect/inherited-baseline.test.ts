/**
 * A model version that replaces another starts from the baseline of the version it replaces, so
 * the shipped `model-latency` judges it from its first window instead of warming up for an hour.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Anomaly } from '../../../src/detect/anomaly.js';
import { DetectorRuntime } from '../../../src/detect/detector-runtime.js';
import type { DetectorStateSnapshot } from '../../../src/detect/detector-state.js';
import type { DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';
import { seededRandom } from '../../../src/shared/random.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2);

let latency: DetectorSpec;
beforeAll(async () => {
  const config = await loadConfig(['detectors/model-latency.yaml']);
  const spec = config.detectors[0]?.value;
  if (spec === undefined) throw new Error('no detector');
  latency = spec;
});

function win(i: number, version: string, p95: number, model = 'ranker'): FeatureWindow {
  return {
    entity: { key: `model:assist/${model}@${version}`, kind: 'model', namespace: 'assist', name: model, model, version },
    windowStart: T0 + i * MIN, windowEnd: T0 + (i + 1) * MIN, features: { model_requests: 40, model_latency_p95: p95 }, details: {},
  };
}

/** v7 serves `minutes` windows at about 100 ms. */
function history(runtime: DetectorRuntime, minutes: number, model = 'ranker'): number {
  const random = seededRandom(3);
  for (let i = 0; i < minutes; i++) runtime.scoreGroup([win(i, 'v7', 100 * (0.95 + 0.1 * random()), model)]);
  return minutes;
}

function slowV8(runtime: DetectorRuntime, from: number, minutes = 5, model = 'ranker'): Anomaly[] {
  const found: Anomaly[] = [];
  for (let i = from; i < from + minutes; i++) found.push(...runtime.scoreGroup([win(i, 'v8', 300, model)]));
  return found;
}

describe('a new model version inherits its predecessor\'s baseline', () => {
  it('judges v8 against v7\'s baseline from its first window when v8 replaces v7 outright', () => {
    const runtime = new DetectorRuntime([latency]);
    const end = history(runtime, 120);
    const [first] = slowV8(runtime, end + 10);
    expect(first).toMatchObject({ detector: 'model-latency', entity: { key: 'model:assist/ranker@v8' }, windowStart: T0 + (end + 10) * MIN });
    expect(first?.evidence[0]?.expected).toBeCloseTo(100, -1);
  });

  it('without a predecessor (a new model), the version warms up as before: nothing in its first hour', () => {
    const runtime = new DetectorRuntime([latency]);
    history(runtime, 120, 'other-model');
    expect(slowV8(runtime, 130, 50)).toEqual([]);
  });

  it('copies the state: what v8 learns leaves v7\'s baseline as it was', () => {
    const runtime = new DetectorRuntime([latency]);
    const end = history(runtime, 120);
    const before = runtime.snapshot().scorers['model-latency|model:assist/ranker@v7|model_latency_p95'];
    slowV8(runtime, end, 30);
    expect(runtime.snapshot().scorers['model-latency|model:assist/ranker@v7|model_latency_p95']).toEqual(before);
  });

  it('inherits after a restart too, from the saved state of the version it replaces', () => {
    const before = new DetectorRuntime([latency]);
    const end = history(before, 120);
    const after = new DetectorRuntime([latency], JSON.parse(JSON.stringify(before.snapshot())) as DetectorStateSnapshot);
    expect(slowV8(after, end + 1)[0]?.windowStart).toBe(T0 + (end + 1) * MIN);
  });

  it('never inherits another model\'s baseline: a version of a new model called like an old one\'s starts afresh', () => {
    const runtime = new DetectorRuntime([latency]);
    history(runtime, 120, 'ranker');
    // Same version string, another model: nothing to inherit.
    expect(slowV8(runtime, 121, 30, 'reranker')).toEqual([]);
  });
});
