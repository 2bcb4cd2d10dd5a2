import type { FeatureName } from '../features/feature-window.js';

/**
 * The model features a version can be judged on against its stable version (`compare:
 * stable-version`), and the algorithm that judges each: a level (a latency, a mean confidence) by
 * the ratio of the two (`log-ratio-cusum`), a share of failures as a proportion against the
 * stable version's (`binomial-cusum`).
 */
export const COMPARED_FEATURES: Partial<Record<FeatureName, 'log-ratio-cusum' | 'binomial-cusum'>> = {
  model_latency_p95: 'log-ratio-cusum',
  confidence_mean: 'log-ratio-cusum',
  model_failure_ratio: 'binomial-cusum',
};
