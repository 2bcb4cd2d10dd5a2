import { describe, expect, it } from 'vitest';
import { algorithmSchema, createScorer, restoreScorer } from '../../../../src/detect/stats/algorithm-registry.js';

describe('algorithmSchema', () => {
  it('fills in defaults', () => {
    expect(algorithmSchema.parse({ type: 'cusum' })).toMatchObject({ type: 'cusum', k: 0.5, h: 5, direction: 'both' });
  });

  it('rejects an unknown parameter instead of ignoring it', () => {
    expect(algorithmSchema.safeParse({ type: 'robust-zscore', zalarm: 3 }).success).toBe(false);
  });

  it('rejects an unknown algorithm type', () => {
    expect(algorithmSchema.safeParse({ type: 'prophet' }).success).toBe(false);
  });
});

describe('restoreScorer', () => {
  it('rejects a snapshot of an unknown version', () => {
    const config = algorithmSchema.parse({ type: 'robust-zscore' });
    const snap = createScorer(config).snapshot();
    expect(() => restoreScorer(config, { ...snap, version: 99 })).toThrow(/version 99/);
  });

  it('rejects a malformed snapshot state', () => {
    const config = algorithmSchema.parse({ type: 'robust-zscore' });
    expect(() => restoreScorer(config, { algorithm: 'robust-zscore', version: 1, state: { x: 1 } })).toThrow(
      expect.objectContaining({ code: 'scorer-snapshot-invalid' }),
    );
  });
});
