import { describe, expect, it } from 'vitest';
import { DetectorRuntime } from '../../../src/detect/detector-runtime.js';
import type { DetectorStateSnapshot } from '../../../src/detect/detector-state.js';
import { detectorSchema, type DetectorSpec } from '../../../src/detect/detector-spec.js';
import type { Entity } from '../../../src/features/entity.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2);

function detector(spec: Record<string, unknown>, name: string): DetectorSpec {
  return detectorSchema.parse({ apiVersion: 'meshwarden.io/v1', kind: 'Detector', metadata: { name }, spec });
}

const model: Entity = { key: 'model:ml-prod/fraud-detector@v3', kind: 'model', namespace: 'ml-prod', name: 'fraud-detector', model: 'fraud-detector', version: 'v3' };

function win(i: number, features: Record<string, number>): FeatureWindow {
  return { entity: model, windowStart: T0 + i * MIN, windowEnd: T0 + (i + 1) * MIN, features, details: {} };
}

const drift = detector({
  entity: 'model', persistence: 2, threshold: 0.9,
  features: [{ name: 'drift_psi_max', algorithm: { type: 'threshold', warn: 0.1, critical: 0.25 } }],
}, 'feature-drift');

const collapse = detector({
  entity: 'model', minRequests: 10, threshold: 0.9,
  features: [{ name: 'confidence_mean', max: 0.8, algorithm: { type: 'robust-zscore', direction: 'down', warmup: 20, minSpread: 0.01 } }],
}, 'model-confidence-collapse');

describe('DetectorRuntime persistence', () => {
  it('defaults to 1: a detector without it alarms on the first anomalous evaluation', () => {
    const once = detector({ ...drift.spec, persistence: undefined }, 'once');
    expect(once.spec.persistence).toBe(1);
    expect(new DetectorRuntime([once]).score(win(0, { drift_psi_max: 0.4 }))).toHaveLength(1);
  });

  it('alarms only from the second consecutive evaluation; windows without the feature do not break the run', () => {
    const runtime = new DetectorRuntime([drift]);
    expect(runtime.score(win(0, { drift_psi_max: 0.4 }))).toEqual([]);
    expect(runtime.score(win(1, { model_requests: 30 }))).toEqual([]);
    const [anomaly] = runtime.score(win(10, { drift_psi_max: 0.5 }));
    expect(anomaly).toMatchObject({ detector: 'feature-drift', windowStart: T0 + 10 * MIN });
    expect(runtime.score(win(20, { drift_psi_max: 0.5 }))).toHaveLength(1);
    expect(runtime.score(win(30, { drift_psi_max: 0.05 }))).toEqual([]);
    expect(runtime.score(win(40, { drift_psi_max: 0.5 }))).toEqual([]);
  });

  it('resumes a run across a restart from its snapshot', () => {
    const before = new DetectorRuntime([drift]);
    before.score(win(0, { drift_psi_max: 0.4 }));
    const after = new DetectorRuntime([drift], JSON.parse(JSON.stringify(before.snapshot())) as DetectorStateSnapshot);
    expect(after.score(win(10, { drift_psi_max: 0.4 }))).toHaveLength(1);
  });

  it('reads a snapshot from before persistence existed', () => {
    const runtime = new DetectorRuntime([drift], { version: 1, scorers: {} });
    expect(runtime.score(win(0, { drift_psi_max: 0.4 }))).toEqual([]);
    expect(runtime.score(win(10, { drift_psi_max: 0.4 }))).toHaveLength(1);
  });

  it('forgets the runs of evicted entities', () => {
    const runtime = new DetectorRuntime([drift]);
    runtime.score(win(0, { drift_psi_max: 0.4 }));
    expect(runtime.streakCount).toBe(1);
    runtime.forget([model.key]);
    expect(runtime.streakCount).toBe(0);
    expect(runtime.score(win(10, { drift_psi_max: 0.4 }))).toEqual([]);
  });
});

describe('DetectorRuntime minimum evidence on model entities', () => {
  function baseline(runtime: DetectorRuntime): void {
    for (let i = 0; i < 30; i++) runtime.score(win(i, { model_requests: 30, model_predictions: 30, confidence_mean: 0.92 + 0.003 * (i % 3) }));
  }

  it('scores model windows with minRequests set, against the predictions behind the mean', () => {
    const runtime = new DetectorRuntime([collapse]);
    baseline(runtime);
    expect(runtime.score(win(30, { model_requests: 30, model_predictions: 30, confidence_mean: 0.4 }))).toHaveLength(1);
  });

  it('leaves a mean over too few predictions unscored, even when the window saw many inferences', () => {
    const runtime = new DetectorRuntime([collapse]);
    baseline(runtime);
    expect(runtime.score(win(30, { model_requests: 1, model_predictions: 1, confidence_mean: 0.1 }))).toEqual([]);
    expect(runtime.score(win(31, { model_requests: 50, model_predictions: 2, confidence_mean: 0.1 }))).toEqual([]);
  });
});
