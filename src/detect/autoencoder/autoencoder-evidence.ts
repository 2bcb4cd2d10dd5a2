import type { Evidence } from '../anomaly.js';
import type { VectorVerdict } from './autoencoder-detector.js';

/**
 * Turns a verdict into anomaly evidence: one line per feature carrying at least `minContribution`
 * of the reconstruction error (at least the largest one), largest first. Each line carries the
 * vector's score, since the autoencoder judges the window as a whole, and its share as detail.
 */
export function autoencoderEvidence(verdict: VectorVerdict, minContribution = 0.1): Evidence[] {
  const lines = verdict.features.filter((f, i) => i === 0 || f.contribution >= minContribution);
  return lines.map((f) => ({
    feature: f.feature,
    observed: f.observed,
    expected: f.expected,
    spread: f.spread,
    score: verdict.score,
    details: [`${(f.contribution * 100).toFixed(0)}% of the reconstruction error (model v${verdict.modelVersion})`],
  }));
}
