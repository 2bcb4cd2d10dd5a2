import type { FeatureName } from '../features/feature-window.js';
import type { FeatureWindow } from '../features/feature-window.js';

/**
 * The count each model feature stands on. A model window holds whatever telemetry arrived in it:
 * one prediction at confidence 0.1 is a mean of one, not a collapse, so these features are held to
 * a detector's `minRequests` through their own count rather than the access-log `requests`, which
 * a model window never has.
 */
const EVIDENCE: Partial<Record<FeatureName, FeatureName>> = {
  confidence_mean: 'model_predictions',
  model_latency_p95: 'model_requests',
  model_failure_ratio: 'model_requests',
};

/**
 * How many observations `feature` of this window stands on, or `undefined` when the feature is not
 * held to a per-feature count (access-log features, gated per window by `requests`; drift
 * statistics, computed by the drift monitor over its own sample; `model_requests`, whose low
 * values are the signal itself).
 */
export function evidenceCount(window: FeatureWindow, feature: string): number | undefined {
  const source = EVIDENCE[feature as FeatureName];
  if (source === undefined) return undefined;
  return window.features[source] ?? 0;
}

/** Whether `feature` of this window rests on at least `minimum` observations (see {@link evidenceCount}). */
export function hasEvidence(window: FeatureWindow, feature: string, minimum: number): boolean {
  if (minimum <= 0) return true;
  const count = evidenceCount(window, feature);
  return count === undefined || count >= minimum;
}
