import { z } from 'zod';
import type { ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { CusumScorer, cusumSchema } from './cusum-scorer.js';
import { RobustZscoreScorer, robustZscoreSchema } from './robust-zscore-scorer.js';

/**
 * Every statistical algorithm a detector can declare, discriminated on `type`. Each member is
 * strict, so a misspelt parameter is an error rather than a silently ignored default.
 */
export const algorithmSchema = z.discriminatedUnion('type', [robustZscoreSchema, cusumSchema]);

/** A parsed algorithm declaration, defaults applied. */
export type AlgorithmConfig = z.infer<typeof algorithmSchema>;

/** An algorithm declaration as written in YAML, before defaults. */
export type AlgorithmInput = z.input<typeof algorithmSchema>;

/** Creates a fresh scorer (empty baseline) for one series. */
export function createScorer(config: AlgorithmConfig): StreamScorer {
  return build(config);
}

/**
 * Recreates a scorer from a snapshot taken by {@link StreamScorer.snapshot}, so a restart or a
 * rebalance resumes with the learned baseline. Throws `ScorerSnapshotError` when the snapshot was
 * written by another algorithm or version, or is malformed.
 */
export function restoreScorer(config: AlgorithmConfig, snapshot: ScorerSnapshot): StreamScorer {
  return build(config, snapshot);
}

function build(config: AlgorithmConfig, snapshot?: ScorerSnapshot): StreamScorer {
  switch (config.type) {
    case 'robust-zscore':
      return new RobustZscoreScorer(config, snapshot);
    case 'cusum':
      return new CusumScorer(config, snapshot);
  }
}
