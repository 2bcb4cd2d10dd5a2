import { z } from 'zod';
import type { ReferenceScorer, ScorerSnapshot, StreamScorer } from '../stream-scorer.js';
import { ArtNoveltyScorer, artNoveltySchema } from './art-novelty-scorer.js';
import { BinomialCusumScorer, binomialCusumSchema } from './binomial-cusum-scorer.js';
import { ContextNoveltyScorer, contextNoveltySchema } from './context-novelty-scorer.js';
import { CusumScorer, cusumSchema } from './cusum-scorer.js';
import type { EnsembleOptions } from './ensemble-scorer.js';
import { EnsembleScorer, ensembleOptionsShape, type ensembleOptionsSchema } from './ensemble-scorer.js';
import { EwmaScorer, ewmaSchema } from './ewma-scorer.js';
import { LogRatioCusumScorer, logRatioCusumSchema } from './log-ratio-cusum-scorer.js';
import { PageHinkleyScorer, pageHinkleySchema } from './page-hinkley-scorer.js';
import { PatternNoveltyScorer, patternNoveltySchema } from './pattern-novelty-scorer.js';
import { RangeScorer, rangeSchema } from './range-scorer.js';
import { RelativeEntropyScorer, relativeEntropySchema } from './relative-entropy-scorer.js';
import { RobustZscoreScorer, robustZscoreSchema } from './robust-zscore-scorer.js';
import { ScorerSnapshotError } from './scorer-snapshot-error.js';
import { SeasonalScorer, seasonalSchema } from './seasonal-scorer.js';
import { ThresholdScorer, thresholdSchema } from './threshold-scorer.js';

const leafSchemas = [
  robustZscoreSchema,
  cusumSchema,
  ewmaSchema,
  pageHinkleySchema,
  seasonalSchema,
  thresholdSchema,
  rangeSchema,
  contextNoveltySchema,
  relativeEntropySchema,
  patternNoveltySchema,
  logRatioCusumSchema,
  binomialCusumSchema,
  artNoveltySchema,
] as const;

type LeafConfig = z.infer<(typeof leafSchemas)[number]>;
type LeafInput = z.input<(typeof leafSchemas)[number]>;

/** Parameters of the `ensemble` algorithm, defaults applied: its options and its members. */
export interface EnsembleConfig extends EnsembleOptions {
  readonly members: AlgorithmConfig[];
}

/** The `ensemble` declaration as written in YAML, before defaults. */
export interface EnsembleInput extends z.input<typeof ensembleOptionsSchema> {
  readonly members: AlgorithmInput[];
}

/** A parsed algorithm declaration, defaults applied. */
export type AlgorithmConfig = LeafConfig | EnsembleConfig;

/** An algorithm declaration as written in YAML, before defaults. */
export type AlgorithmInput = LeafInput | EnsembleInput;

// The member list refers back to the whole union, so it is declared lazily and typed by hand;
// the hand-written types above are what z.infer would give if TypeScript could follow the cycle.
const membersSchema: z.ZodType<AlgorithmConfig[], AlgorithmInput[]> = z.lazy(() =>
  z.array(algorithmSchema).min(1, 'an ensemble needs at least one member'),
);

/** Parameters of the `ensemble` algorithm: its own options plus the member algorithms. */
export const ensembleSchema = z.object({ ...ensembleOptionsShape, members: membersSchema }).strict();

/**
 * Every statistical algorithm a detector can declare, discriminated on `type`. Each member is
 * strict, so a misspelt parameter is an error rather than a silently ignored default.
 */
export const algorithmSchema = z.discriminatedUnion('type', [...leafSchemas, ensembleSchema]);

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

/** The algorithms that can judge a series against a reference measured beside it ({@link ReferenceScorer}). */
export const REFERENCE_ALGORITHMS = ['log-ratio-cusum', 'binomial-cusum'] as const;

/**
 * Creates (or, from a snapshot, resumes) a scorer that judges against a reference, or undefined
 * for an algorithm that has none (see {@link REFERENCE_ALGORITHMS}). Throws `ScorerSnapshotError`
 * as {@link restoreScorer} does.
 */
export function createReferenceScorer(config: AlgorithmConfig, snapshot?: ScorerSnapshot): ReferenceScorer | undefined {
  if (config.type === 'log-ratio-cusum') return new LogRatioCusumScorer(config, snapshot);
  if (config.type === 'binomial-cusum') return new BinomialCusumScorer(config, snapshot);
  return undefined;
}

function build(config: AlgorithmConfig, snapshot?: ScorerSnapshot): StreamScorer {
  switch (config.type) {
    case 'robust-zscore':
      return new RobustZscoreScorer(config, snapshot);
    case 'cusum':
      return new CusumScorer(config, snapshot);
    case 'ewma':
      return new EwmaScorer(config, snapshot);
    case 'page-hinkley':
      return new PageHinkleyScorer(config, snapshot);
    case 'seasonal':
      return new SeasonalScorer(config, snapshot);
    case 'threshold':
      return new ThresholdScorer(config, snapshot);
    case 'range':
      return new RangeScorer(config, snapshot);
    case 'context-novelty':
      return new ContextNoveltyScorer(config, snapshot);
    case 'relative-entropy':
      return new RelativeEntropyScorer(config, snapshot);
    case 'pattern-novelty':
      return new PatternNoveltyScorer(config, snapshot);
    case 'log-ratio-cusum':
      return new LogRatioCusumScorer(config, snapshot);
    case 'binomial-cusum':
      return new BinomialCusumScorer(config, snapshot);
    case 'art-novelty':
      return new ArtNoveltyScorer(config, snapshot);
    case 'ensemble':
      return buildEnsemble(config, snapshot);
  }
}

function buildEnsemble(config: EnsembleConfig, snapshot?: ScorerSnapshot): StreamScorer {
  if (snapshot === undefined) return new EnsembleScorer(config, config.members.map((m) => build(m)));
  const saved = EnsembleScorer.memberSnapshots(snapshot);
  if (saved.length !== config.members.length) {
    throw new ScorerSnapshotError(
      `"ensemble" snapshot has ${saved.length} members, this configuration has ${config.members.length}`,
    );
  }
  const members = config.members.map((m, i) => {
    const memberSnapshot = saved[i];
    return memberSnapshot === undefined ? build(m) : build(m, memberSnapshot);
  });
  return new EnsembleScorer(config, members, snapshot);
}
