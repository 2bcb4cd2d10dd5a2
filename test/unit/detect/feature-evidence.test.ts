import { describe, expect, it } from 'vitest';
import { evidenceCount, hasEvidence } from '../../../src/detect/feature-evidence.js';
import type { FeatureWindow } from '../../../src/features/feature-window.js';

const model: FeatureWindow['entity'] = { key: 'model:ml-prod/fraud-detector@v3', kind: 'model', namespace: 'ml-prod', name: 'fraud-detector', model: 'fraud-detector', version: 'v3' };

function win(features: Record<string, number>): FeatureWindow {
  return { entity: model, windowStart: 0, windowEnd: 60_000, features, details: {} };
}

describe('evidenceCount', () => {
  it('holds confidence to the predictions that reported one, latency and failures to the inferences', () => {
    const w = win({ model_requests: 40, model_predictions: 12, confidence_mean: 0.5, model_latency_p95: 80, model_failure_ratio: 0.1 });
    expect(evidenceCount(w, 'confidence_mean')).toBe(12);
    expect(evidenceCount(w, 'model_latency_p95')).toBe(40);
    expect(evidenceCount(w, 'model_failure_ratio')).toBe(40);
  });

  it('counts a model feature without its count as resting on nothing', () => {
    expect(evidenceCount(win({ confidence_mean: 0.1 }), 'confidence_mean')).toBe(0);
  });

  it('does not hold drift statistics, access-log features or the inference count itself to a count', () => {
    const w = win({ drift_share: 1, requests: 1, model_requests: 1 });
    expect(evidenceCount(w, 'drift_share')).toBeUndefined();
    expect(evidenceCount(w, 'ratio_5xx')).toBeUndefined();
    expect(evidenceCount(w, 'model_requests')).toBeUndefined();
  });
});

describe('hasEvidence', () => {
  it('needs at least the minimum, and nothing when the minimum is 0', () => {
    expect(hasEvidence(win({ model_predictions: 1 }), 'confidence_mean', 10)).toBe(false);
    expect(hasEvidence(win({ model_predictions: 10 }), 'confidence_mean', 10)).toBe(true);
    expect(hasEvidence(win({}), 'confidence_mean', 0)).toBe(true);
    expect(hasEvidence(win({}), 'drift_psi_max', 10)).toBe(true);
  });
});
