import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer } from '../../../../src/detect/stats/algorithm-registry.js';

describe('threshold', () => {
  const psi = createScorer(algorithmSchema.parse({ type: 'threshold', warn: 0.1, critical: 0.25 }));
  const pValue = createScorer(
    algorithmSchema.parse({ type: 'threshold', direction: 'below', warn: 0.05, critical: 0.01 }),
  );

  it('scores 0.5 at the warning level and 0.9 at the critical level', () => {
    expect(psi.update(0.1, 0).score).toBeCloseTo(0.5, 12);
    expect(psi.update(0.25, 0).score).toBeCloseTo(0.9, 12);
    expect(pValue.update(0.05, 0).score).toBeCloseTo(0.5, 12);
    expect(pValue.update(0.01, 0).score).toBeCloseTo(0.9, 12);
  });

  it('keeps grading beyond critical without reaching 1', () => {
    const high = psi.update(0.5, 0).score;
    const higher = psi.update(2, 0).score;
    expect(high).toBeGreaterThan(0.9);
    expect(higher).toBeGreaterThan(high);
    expect(higher).toBeLessThan(1);
    expect(pValue.update(0, 0).score).toBeLessThan(1);
  });

  it('is ready from the first value, since a threshold needs no baseline', () => {
    expect(psi.update(0.01, 0)).toMatchObject({ ready: true });
    expect(psi.update(0.01, 0).score).toBeLessThan(0.01);
  });

  it('rejects a critical level on the wrong side of the warning level', () => {
    expect(algorithmSchema.safeParse({ type: 'threshold', warn: 0.25, critical: 0.1 }).success).toBe(false);
    expect(algorithmSchema.safeParse({ type: 'threshold', direction: 'below', warn: 0.01, critical: 0.05 }).success).toBe(
      false,
    );
  });
});
